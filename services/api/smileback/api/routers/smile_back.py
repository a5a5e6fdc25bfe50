"""The smile-back queue: kind mentions that deserve a genuine reply, how long each has waited,
marking them answered, and dismissing one that is not for us (with the reason)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import structlog
from fastapi import APIRouter, Body, Depends
from sqlalchemy import ColumnElement, update

from smileback.api.acting import actor_of
from smileback.api.context import ApiContext
from smileback.api.deps import READ, ContextDep, ResponderDep, SessionDep
from smileback.api.errors import ApiError, documented
from smileback.api.pagination import newest_first, split_page
from smileback.api.params import Cursor, Limit, Word
from smileback.api.schemas import AnsweredIn, DismissIn, MentionOut, Page, SmileBackItem
from smileback.api.store import MentionRow, QueueItemRow
from smileback.api.store.queries import queue_query
from smileback.common.errors import BusError
from smileback.common.events import QueueItem, QueueName

__all__ = ["dismiss", "list_smile_back", "mark_answered", "router"]

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/v1/smile-back", tags=["smile-back"])


@router.get(
    "", response_model=Page[SmileBackItem], responses=documented(), dependencies=[Depends(READ)]
)
def list_smile_back(
    session: SessionDep,
    context: ContextDep,
    answered: bool | None = None,
    brand: Word = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[SmileBackItem]:
    """The queue, newest first; `answered=false` for what still waits (dismissed entries
    have left it)."""
    query = newest_first(
        queue_query(queue=QueueName.SMILE_BACK, answered=answered, brand=brand),
        at=QueueItemRow.at,
        id_=QueueItemRow.mention_id,
        cursor=cursor,
        limit=limit,
    )
    rows, next_cursor = split_page(
        session.execute(query).all(),
        limit=limit,
        key=lambda pair: (pair[0].at, pair[0].mention_id),
    )
    return Page[SmileBackItem](
        items=[_item(entry, mention, now=context.clock()) for entry, mention in rows],
        next_cursor=next_cursor,
    )


@router.post(
    "/{mention_id:path}/answered",
    response_model=SmileBackItem,
    responses=documented(404, body=True),
)
def mark_answered(
    mention_id: str,
    context: ContextDep,
    principal: ResponderDep,
    body: Annotated[AnsweredIn | None, Body()] = None,
) -> SmileBackItem:
    """Mark a queued mention as answered by the key's responder (the first answer's
    responder and time are kept)."""
    body = body or AnsweredIn()
    responder = actor_of(
        context, principal, claimed=body.responder, on_behalf_of=body.on_behalf_of
    ).responder
    return _close(
        context,
        mention_id,
        still_open=QueueItemRow.answered.is_(False),
        values={"answered": True, "answered_by": responder, "answered_at": context.clock()},
    )


@router.post(
    "/{mention_id:path}/dismiss",
    response_model=SmileBackItem,
    responses=documented(404, body=True),
)
def dismiss(
    mention_id: str,
    context: ContextDep,
    principal: ResponderDep,
    body: DismissIn,
) -> SmileBackItem:
    """ "Not for us": take a mention out of the queue, keeping why; dismissed by the key's
    responder (the first dismissal's reason, responder and time are kept)."""
    responder = actor_of(
        context, principal, claimed=body.responder, on_behalf_of=body.on_behalf_of
    ).responder
    return _close(
        context,
        mention_id,
        still_open=QueueItemRow.dismissed.is_(False),
        values={
            "dismissed": True,
            "dismissed_by": responder,
            "dismissed_at": context.clock(),
            "dismissed_reason": body.reason,
        },
    )


def _close(
    context: ApiContext,
    mention_id: str,
    *,
    still_open: ColumnElement[bool],
    values: dict[str, object],
) -> SmileBackItem:
    """Store a closure (answered or dismissed) unless one of its kind was stored before (the
    first is kept), tell the alerts service, and answer with the entry; 404 when the mention
    is not in the queue."""
    with context.sessions() as session, session.begin():
        session.execute(
            update(QueueItemRow)
            .where(
                QueueItemRow.mention_id == mention_id,
                QueueItemRow.queue == str(QueueName.SMILE_BACK),
                still_open,
            )
            .values(**values)
        )
        entry = session.get(QueueItemRow, (mention_id, str(QueueName.SMILE_BACK)))
        if entry is None:
            raise ApiError(
                status=404, code="not_found", message=f"{mention_id!r} is not in the queue"
            )
        session.refresh(entry)
        _publish_closure(context, entry)
        return _item(entry, session.get(MentionRow, mention_id), now=context.clock())


def _item(entry: QueueItemRow, mention: MentionRow | None, *, now: datetime) -> SmileBackItem:
    waited_until = entry.answered_at if entry.answered and entry.answered_at else now
    return SmileBackItem(
        mention_id=entry.mention_id,
        brand=entry.brand,
        reason=entry.reason,
        at=entry.at,
        answered=entry.answered,
        answered_by=entry.answered_by,
        answered_at=entry.answered_at,
        waiting_s=max(0.0, (waited_until - entry.at).total_seconds()),
        dismissed=entry.dismissed,
        dismissed_by=entry.dismissed_by,
        dismissed_at=entry.dismissed_at,
        dismissed_reason=entry.dismissed_reason,
        mention=MentionOut.model_validate(mention) if mention is not None else None,
    )


def _publish_closure(context: ApiContext, entry: QueueItemRow) -> None:
    """Tell the alerts service the entry waits no longer (its service-level digest counts
    waiting entries); before the commit, so a bus failure rolls it back with a 503."""
    if context.publisher is None:
        return
    closed: Literal["answered", "dismissed"] = "dismissed" if entry.dismissed else "answered"
    item = QueueItem(
        mention_id=entry.mention_id,
        brand=entry.brand,
        queue=QueueName.SMILE_BACK,
        reason=entry.reason,
        at=entry.at,
        closed=closed,
    )
    try:
        context.publisher.publish_queue(item)
    except BusError as exc:
        log.error("could not publish a queue closure", error=str(exc))
        raise ApiError(
            status=503, code="unavailable", message="the event bus is unavailable"
        ) from exc
