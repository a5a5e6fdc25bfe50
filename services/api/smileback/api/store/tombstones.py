"""Deleted posts in stored incidents: redact what already quotes one, and what arrives later."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Text, cast, or_, select, update
from sqlalchemy.orm import Session

from smileback.api.store.models import IncidentEventRow, IncidentRow, MentionRow
from smileback.api.store.queries import escape_like
from smileback.api.store.redaction import redact_incident_packet, stored_packet
from smileback.common.events import IncidentEvent

__all__ = ["redact_incidents_quoting", "redact_late_event"]


def redact_late_event(*, session: Session, event: IncidentEvent) -> IncidentEvent:
    """The event with the mentions already deleted redacted from its packet and summary."""
    if event.packet is None:
        return event
    deleted = session.scalars(
        select(MentionRow.id).where(
            MentionRow.id.in_(event.packet.mention_ids()), MentionRow.redacted
        )
    ).all()
    if not deleted:
        return event
    return _redacted(event, mention_ids=sorted(deleted))


def redact_incidents_quoting(*, session: Session, mention_id: str, root_id: str) -> None:
    """Redact the incidents (and their stored events) whose packets quote a deleted mention.

    Candidates are the incidents of its thread and those whose packet text names its id
    (quoted as a similar complaint elsewhere); their events are searched the same way.
    """
    named = _names(mention_id)
    incidents = session.execute(
        select(IncidentRow).where(
            or_(IncidentRow.thread_root_id == root_id, *_contains(IncidentRow.context, named))
        )
    ).scalars()
    ids = []
    for row in incidents:
        ids.append(row.id)
        packet, summary = redact_incident_packet(
            packet=stored_packet(row.context),
            summary=row.summary,
            mention_id=mention_id,
            severity=row.severity,
            brand=row.brand,
            mention_count=row.mention_count,
        )
        context = packet.model_dump(mode="json") if packet is not None else {}
        if (context, summary) != (row.context, row.summary):
            session.execute(
                update(IncidentRow)
                .where(IncidentRow.id == row.id)
                .values(context=context, summary=summary)
            )
    if not ids:
        return
    events = session.execute(
        select(IncidentEventRow.event_id, IncidentEventRow.payload).where(
            IncidentEventRow.incident_id.in_(ids), or_(*_contains(IncidentEventRow.payload, named))
        )
    ).all()
    for event_id, payload in events:
        # Stored events of schema version 1 are rewritten as version 2.
        event = IncidentEvent.model_validate(payload)
        redacted = _redacted(event, mention_ids=[mention_id])
        if redacted != event:
            session.execute(
                update(IncidentEventRow)
                .where(IncidentEventRow.event_id == event_id)
                .values(payload=redacted.model_dump(mode="json"))
            )


def _redacted(event: IncidentEvent, *, mention_ids: list[str]) -> IncidentEvent:
    packet, summary = event.packet, event.summary
    for mention_id in mention_ids:
        packet, summary = redact_incident_packet(
            packet=packet,
            summary=summary,
            mention_id=mention_id,
            severity=str(event.severity),
            brand=event.brand,
            mention_count=event.mention_count,
        )
    return event.model_copy(update={"packet": packet, "summary": summary})


def _names(mention_id: str) -> list[str]:
    """The id as it appears in stored JSON text (SQLite escapes non-ASCII, PostgreSQL does not)."""
    return sorted({json.dumps(mention_id), json.dumps(mention_id, ensure_ascii=False)})


def _contains(column: Any, names: list[str]) -> list[Any]:
    return [cast(column, Text).like(f"%{escape_like(name)}%", escape="\\") for name in names]
