"""What the smile-back and triage routers share: one queue's listing in a chosen order, with
its total, and the one closure step (answered or dismissed) that also tells the alerts
service the entry waits no longer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import structlog
from sqlalchemy import ColumnElement, Select, func, tuple_, update
from sqlalchemy.orm import Session

from smileback.api.acting import acting_responder
from smileback.api.auth import Principal
from smileback.api.context import ApiContext
from smileback.api.errors import ApiError
from smileback.api.pagination import count_rows, pack_cursor, read_time, unpack_cursor
from smileback.api.schemas import (
    AnsweredIn,
    DismissIn,
    MentionOut,
    QueueEntry,
    QueuePage,
    QueueSort,
)
from smileback.api.store import MentionRow, QueueItemRow
from smileback.api.store.queries import queue_query
from smileback.common.errors import BusError
from smileback.common.events import QueueItem, QueueName

__all__ = ["dismiss_entry", "list_entries", "mark_answered"]

log = structlog.get_logger(__name__)

E = TypeVar("E", bound=QueueEntry)

# A purged mention has no audience: it sorts after every stored one.
_NO_AUDIENCE = -1
_AUDIENCE = func.coalesce(MentionRow.author_followers, _NO_AUDIENCE)
_MAX_AUDIENCE = 2**63 - 1  # the column's BIGINT


def list_entries(
    session: Session,
    *,
    entry: type[E],
    queue: QueueName,
    answered: bool | None,
    brand: str | None,
    sort: QueueSort,
    limit: int,
    cursor: str | None,
    now: datetime,
) -> QueuePage[E]:
    """One page of `queue` in `sort` order, and how many entries the filters match."""
    query = queue_query(queue=queue, answered=answered, brand=brand)
    total = count_rows(session, query)
    rows = session.execute(_ordered(query, sort=sort, cursor=cursor, limit=limit)).all()
    page = list(rows[:limit])
    next_cursor = _cursor_after(page[-1], sort=sort) if len(rows) > limit else None
    return QueuePage[entry](  # type: ignore[valid-type]
        items=[_entry(entry, row, mention, now=now) for row, mention in page],
        next_cursor=next_cursor,
        total=total,
    )


def mark_answered(
    context: ApiContext,
    principal: Principal,
    *,
    entry: type[E],
    queue: QueueName,
    mention_id: str,
    body: AnsweredIn,
) -> E:
    """Mark a queued mention answered by the key's responder (the first answer's responder
    and time are kept)."""
    responder = _acting(context, principal, body)
    return _close(
        context,
        entry=entry,
        queue=queue,
        mention_id=mention_id,
        still_open=QueueItemRow.answered.is_(False),
        values={"answered": True, "answered_by": responder, "answered_at": context.clock()},
    )


def dismiss_entry(
    context: ApiContext,
    principal: Principal,
    *,
    entry: type[E],
    queue: QueueName,
    mention_id: str,
    body: DismissIn,
) -> E:
    """Take a mention out of the queue, keeping why; dismissed by the key's responder (the
    first dismissal's reason, responder and time are kept)."""
    responder = _acting(context, principal, body)
    return _close(
        context,
        entry=entry,
        queue=queue,
        mention_id=mention_id,
        still_open=QueueItemRow.dismissed.is_(False),
        values={
            "dismissed": True,
            "dismissed_by": responder,
            "dismissed_at": context.clock(),
            "dismissed_reason": body.reason,
        },
    )


def _acting(context: ApiContext, principal: Principal, body: AnsweredIn | DismissIn) -> str:
    """Who closes: the key's responder (or the one an admin key acts for)."""
    return acting_responder(
        context, principal, claimed=body.responder, on_behalf_of=body.on_behalf_of
    ).responder


def _close(
    context: ApiContext,
    *,
    entry: type[E],
    queue: QueueName,
    mention_id: str,
    still_open: ColumnElement[bool],
    values: dict[str, object],
) -> E:
    """Store a closure (answered or dismissed) unless one of its kind was stored before (the
    first is kept), tell the alerts service, and answer with the entry; 404 when the mention
    is not in the queue."""
    with context.sessions() as session, session.begin():
        session.execute(
            update(QueueItemRow)
            .where(
                QueueItemRow.mention_id == mention_id,
                QueueItemRow.queue == str(queue),
                still_open,
            )
            .values(**values)
        )
        row = session.get(QueueItemRow, (mention_id, str(queue)))
        if row is None:
            raise ApiError(
                status=404, code="not_found", message=f"{mention_id!r} is not in the queue"
            )
        session.refresh(row)
        _publish_closure(context, row, queue=queue)
        return _entry(entry, row, session.get(MentionRow, mention_id), now=context.clock())


def _ordered(
    query: Select[QueueItemRow, MentionRow], *, sort: QueueSort, cursor: str | None, limit: int
) -> Select[QueueItemRow, MentionRow]:
    """Order by the sort's key, then the mention id; start after the cursor; one extra row
    tells whether a next page exists."""
    key = _AUDIENCE if sort is QueueSort.AUDIENCE else QueueItemRow.at.expression
    ascending = sort is QueueSort.WAITING
    if cursor is not None:
        after = tuple_(*_decode(cursor, sort=sort))
        here = tuple_(key, QueueItemRow.mention_id)
        query = query.where(here > after if ascending else here < after)
    if ascending:
        return query.order_by(key.asc(), QueueItemRow.mention_id.asc()).limit(limit + 1)
    return query.order_by(key.desc(), QueueItemRow.mention_id.desc()).limit(limit + 1)


def _cursor_after(last: tuple[QueueItemRow, MentionRow | None], *, sort: QueueSort) -> str:
    """A cursor naming the sort and the last row's place in it."""
    row, mention = last
    if sort is QueueSort.AUDIENCE:
        key: object = mention.author_followers if mention is not None else _NO_AUDIENCE
    else:
        key = row.at.astimezone(UTC).isoformat()
    return pack_cursor([str(sort), key, row.mention_id])


def _decode(cursor: str, *, sort: QueueSort) -> tuple[object, str]:
    """The (key, mention id) a cursor of this sort names; a 422 when it is not one (a cursor
    of another sort included: its place means nothing in this order)."""

    def read(values: Any) -> tuple[object, str]:
        made_for, key, id_ = values
        if made_for != str(sort) or not isinstance(id_, str):
            raise ValueError("not a cursor of this sort")
        if sort is not QueueSort.AUDIENCE:
            return read_time(key), id_
        if type(key) is not int or not _NO_AUDIENCE <= key <= _MAX_AUDIENCE:
            raise ValueError("not an audience")
        return key, id_

    return unpack_cursor(cursor, read)


def _entry(entry: type[E], row: QueueItemRow, mention: MentionRow | None, *, now: datetime) -> E:
    waited_until = row.answered_at if row.answered and row.answered_at else now
    return entry(
        mention_id=row.mention_id,
        brand=row.brand,
        reason=row.reason,
        at=row.at,
        answered=row.answered,
        answered_by=row.answered_by,
        answered_at=row.answered_at,
        waiting_s=max(0.0, (waited_until - row.at).total_seconds()),
        dismissed=row.dismissed,
        dismissed_by=row.dismissed_by,
        dismissed_at=row.dismissed_at,
        dismissed_reason=row.dismissed_reason,
        mention=MentionOut.model_validate(mention) if mention is not None else None,
    )


def _publish_closure(context: ApiContext, row: QueueItemRow, *, queue: QueueName) -> None:
    """Tell the alerts service the entry waits no longer (its smile-back digest counts
    waiting entries); before the commit, so a bus failure rolls it back with a 503."""
    if context.publisher is None:
        return
    closed: Literal["answered", "dismissed"] = "dismissed" if row.dismissed else "answered"
    item = QueueItem(
        mention_id=row.mention_id,
        brand=row.brand,
        queue=queue,
        reason=row.reason,
        at=row.at,
        closed=closed,
    )
    try:
        context.publisher.publish_queue(item)
    except BusError as exc:
        log.error("could not publish a queue closure", error=str(exc))
        raise ApiError(
            status=503, code="unavailable", message="the event bus is unavailable"
        ) from exc
