"""Idempotent writes: the same record twice stores once (INSERT ... ON CONFLICT).

Redaction is sticky: once a tombstone is stored, a late or replayed original
updates the scores but never brings the text, link or handle back.

A batch of mentions is copied into PostgreSQL and upserted by one statement (`bulk`); on
SQLite, and for queue items, a batch is one statement executed with every row's parameters
(one compiled statement), where a statement per row cost most of the projector's time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    SQLColumnExpression,
    case,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session

from smileback.api.store.bulk import copy_upsert_mentions, replace_unless_redacted
from smileback.api.store.models import (
    IncidentEventRow,
    IncidentRow,
    JsonDoc,
    MentionRow,
    QueueItemRow,
)
from smileback.api.store.redaction import redact_mention_payload
from smileback.api.store.tombstones import redact_incidents_quoting, redact_late_event
from smileback.common.database import dialect_insert, on_postgresql, table_of
from smileback.common.events import (
    IncidentEvent,
    IncidentEventType,
    QueueItem,
    ScoredMention,
    encode,
)
from smileback.common.incident_status import IncidentStatus
from smileback.common.redaction import REDACTED_TEXT

__all__ = [
    "apply_incident_event",
    "compare_and_set_owner",
    "upsert_mentions",
    "upsert_queue_items",
]

_REDACTED_COLUMNS = ("text", "url", "author_handle", "payload")
_STATUS_AFTER = {
    IncidentEventType.OPENED: IncidentStatus.OPEN,
    IncidentEventType.ACKNOWLEDGED: IncidentStatus.ACKNOWLEDGED,
    IncidentEventType.RESOLVED: IncidentStatus.RESOLVED,
    IncidentEventType.REOPENED: IncidentStatus.OPEN,
}
_CARRIES_STATE = (
    IncidentEventType.OPENED,
    IncidentEventType.UPDATED,
    IncidentEventType.PAGED,
    IncidentEventType.REOPENED,
)
# A reopened incident is unclaimed and unresolved again (its timeline keeps who had it).
_CLEARED_BY_REOPENING = {
    "owner": None,
    "acknowledged_by": None,
    "acknowledged_at": None,
    "resolved_by": None,
    "resolved_at": None,
}


def _upsert_mention(*, session: Session, scored: ScoredMention, now: datetime) -> None:
    """Insert or update a scored mention by id; a tombstone redacts it, before or after."""
    values = _mention_values(scored=scored, now=now)
    stmt = dialect_insert(session, MentionRow).values(**values)
    if scored.deleted:
        stored = session.scalar(
            select(MentionRow.payload).where(MentionRow.id == scored.id).with_for_update()
        )
        # Keep what was known (scores, thread) and remove only what identifies the post.
        set_: dict[str, Any] = {
            "text": REDACTED_TEXT,
            "url": None,
            "author_handle": "",
            "redacted": True,
            "payload": values["payload"] if stored is None else redact_mention_payload(stored),
            "updated_at": now,
        }
        session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=set_))
        redact_incidents_quoting(session=session, mention_id=scored.id, root_id=scored.root_id)
        return
    was_redacted = MentionRow.redacted
    set_ = {
        name: stmt.excluded[name]
        for name in values
        if name not in ("id", "redacted", *_REDACTED_COLUMNS)
    }
    set_["text"] = case((was_redacted, MentionRow.text), else_=stmt.excluded.text)
    set_["url"] = case((was_redacted, MentionRow.url), else_=stmt.excluded.url)
    set_["author_handle"] = case(
        (was_redacted, MentionRow.author_handle), else_=stmt.excluded.author_handle
    )
    set_["payload"] = case(
        (was_redacted, literal(redact_mention_payload(values["payload"]), JsonDoc)),
        else_=stmt.excluded.payload,
    )
    session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=set_))


def upsert_mentions(*, session: Session, mentions: Sequence[ScoredMention], now: datetime) -> None:
    """Insert or update scored mentions by id; a tombstone redacts its mention, before or
    after. One statement for the mentions not redacted in the store; a mention whose stored
    row is redacted, and a tombstone, go one by one after.

    Any order of an original and its tombstone ends redacted, so doing the originals first
    leaves the same state as doing the batch in order."""
    live = [m for m in mentions if not m.deleted]
    if live:
        redacted = set(
            session.scalars(
                select(MentionRow.id).where(
                    MentionRow.id.in_({m.id for m in live}), MentionRow.redacted
                )
            )
        )
        fresh = [m for m in live if m.id not in redacted]
        if fresh and on_postgresql(session):
            # The payload as the event's own JSON: what model_dump then json.dumps would write.
            rows = [_mention_values(scored=m, now=now, payload=encode(m).decode()) for m in fresh]
            copy_upsert_mentions(session=session, rows=rows)
        elif fresh:
            rows = [_mention_values(scored=m, now=now) for m in fresh]
            session.execute(
                replace_unless_redacted(dialect_insert(session, table_of(MentionRow))), rows
            )
        for scored in live:
            if scored.id in redacted:
                _upsert_mention(session=session, scored=scored, now=now)
    for scored in mentions:
        if scored.deleted:
            _upsert_mention(session=session, scored=scored, now=now)


def apply_incident_event(*, session: Session, event: IncidentEvent) -> bool:
    """Fold one incident event into its incident; False when it was applied before."""
    event = redact_late_event(session=session, event=event)
    payload = event.model_dump(mode="json")
    # The incident's context column holds the alerts service's packet as JSON, {} before one.
    context = payload["packet"] or {}
    first_time = session.execute(
        dialect_insert(session, IncidentEventRow)
        .values(
            event_id=event.event_id,
            incident_id=event.incident_id,
            type=str(event.type),
            at=event.at,
            payload=payload,
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(IncidentEventRow.event_id)
    ).first()
    if first_time is None:
        return False
    stmt = dialect_insert(session, IncidentRow).values(
        id=event.incident_id,
        brand=event.brand,
        thread_root_id=event.thread_root_id,
        rule=event.rule,
        severity=str(event.severity),
        status=str(_STATUS_AFTER.get(event.type, IncidentStatus.OPEN)),
        opened_at=event.at,
        last_event_at=event.at,
        mention_count=event.mention_count,
        peak_velocity=event.peak_velocity,
        summary=event.summary,
        paged_count=1 if event.type is IncidentEventType.PAGED else 0,
        context=context,
        **_responder_values(event),
    )
    new = stmt.excluded
    set_: dict[str, Any] = {
        "last_event_at": _greatest(new.last_event_at, IncidentRow.last_event_at),
        "mention_count": _greatest(new.mention_count, IncidentRow.mention_count),
        "peak_velocity": _greatest(new.peak_velocity, IncidentRow.peak_velocity),
    }
    if event.type in _CARRIES_STATE:
        set_ |= {"severity": new.severity, "rule": new.rule}
    if event.type in _STATUS_AFTER:
        set_["status"] = new.status
    if event.type is IncidentEventType.PAGED:
        set_["paged_count"] = IncidentRow.paged_count + 1
    if event.summary:
        set_["summary"] = new.summary
    if event.packet is not None:  # the alerts service's events; a responder's carry none
        set_["context"] = new.context
    for name in _responder_values(event):
        set_[name] = new[name]
    if event.type is IncidentEventType.ACKNOWLEDGED:
        set_["owner"] = func.coalesce(IncidentRow.owner, new.owner)  # claims an unowned one
    session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=set_))
    return True


def _responder_values(event: IncidentEvent) -> dict[str, Any]:
    """The columns a human action sets: who acknowledged, resolved, or owns the incident."""
    if event.type is IncidentEventType.ACKNOWLEDGED:
        return {
            "acknowledged_by": event.responder,
            "acknowledged_at": event.at,
            "owner": event.responder,
        }
    if event.type is IncidentEventType.RESOLVED:
        # Resolving releases the lock: a thread that flares up again is anyone's to claim.
        return {"resolved_by": event.responder, "resolved_at": event.at, "owner": None}
    if event.type is IncidentEventType.REOPENED:
        return dict(_CLEARED_BY_REOPENING)
    if event.action is not None and event.action.kind in ("assign", "take_over"):
        return {"owner": event.owner or event.action.owner}
    return {}


def compare_and_set_owner(
    *, session: Session, incident_id: str, expected: str | None, owner: str | None
) -> bool:
    """Set the owner of an unresolved incident only if it is still `expected`; False when
    someone else changed it first.

    The request also holds the incident row locked, but SQLite ignores row locks: this makes
    the claim atomic on every database."""
    held = IncidentRow.owner.is_(None) if expected is None else IncidentRow.owner == expected
    result = session.execute(
        update(IncidentRow)
        .where(
            IncidentRow.id == incident_id,
            held,
            IncidentRow.status != str(IncidentStatus.RESOLVED),
        )
        .values(owner=owner)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def upsert_queue_items(*, session: Session, items: Sequence[QueueItem]) -> None:
    """Insert or refresh queue entries, in one statement; whether one was answered is kept.
    A closure (published by the API after it stored it) adds nothing."""
    items = [item for item in items if item.closed is None]
    if not items:
        return
    stmt = dialect_insert(session, table_of(QueueItemRow))
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["mention_id", "queue"],
            set_={
                "brand": stmt.excluded.brand,
                "reason": stmt.excluded.reason,
                "at": stmt.excluded.at,
            },
        ),
        [
            {
                "mention_id": item.mention_id,
                "queue": str(item.queue),
                "brand": item.brand,
                "reason": item.reason,
                "at": item.at,
                "answered": False,
                "dismissed": False,
            }
            for item in items
        ],
    )


def _mention_values(
    *, scored: ScoredMention, now: datetime, payload: str | None = None
) -> dict[str, Any]:
    """A mention's columns; `payload`: its JSON text, for COPY (by default, a dict)."""
    scores = scored.scores
    values: dict[str, Any] = {
        "id": scored.id,
        "brand": scored.brand,
        "platform": scored.platform,
        "text": scored.text,
        "url": scored.url,
        "lang": scored.lang,
        "author_handle": scored.author.handle,
        "author_followers": scored.author.followers,
        # Newest-first listing and its cursor need a time on every row.
        "created_at": scored.created_at or scored.ingested_at or now,
        "ingested_at": scored.ingested_at,
        "thread_root_id": scored.root_id,
        "negativity": scores.negativity,
        "is_negative": scores.is_negative,
        "sentiment": str(scores.sentiment),
        "reach": scores.reach,
        "reach_tier": str(scores.reach_tier),
        "thread_velocity": scores.thread_velocity,
        "pile_on_risk": scores.pile_on_risk,
        "model_version": scores.model_version,
        "redacted": scored.deleted,
        "updated_at": now,
    }
    if scored.deleted:
        values |= {
            "text": REDACTED_TEXT,
            "url": None,
            "author_handle": "",
            "payload": redact_mention_payload(scored.model_dump(mode="json")),
        }
    else:
        values["payload"] = scored.model_dump(mode="json") if payload is None else payload
    return values


def _greatest(new: SQLColumnExpression[Any], old: SQLColumnExpression[Any]) -> ColumnElement[Any]:
    """The larger of two values, in SQL both dialects speak."""
    return case((new > old, new), else_=old)
