"""Incident events built from an incident's state, with deterministic ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from smileback.alerts.incidents.model import Incident
from smileback.common.events import IncidentEvent, IncidentEventType, PageDelivery

__all__ = ["incident_event", "surge_root_id"]


def incident_event(
    inc: Incident,
    kind: IncidentEventType,
    *,
    mention_id: str,
    now: datetime,
    event_id: str | None = None,
    responder: str | None = None,
    level: int | None = None,
    paged: list[str] | None = None,
    note: str | None = None,
    delivery: PageDelivery | None = None,
    next_escalation_at: datetime | None = None,
) -> IncidentEvent:
    """An event carrying the incident's current state and context packet."""
    return IncidentEvent(
        event_id=event_id or f"{inc.incident_id}:{kind}:{mention_id}",
        type=kind,
        incident_id=inc.incident_id,
        brand=inc.brand,
        thread_root_id=inc.thread_root_id,
        rule=inc.rule,
        severity=inc.severity,
        at=now,
        mention_id=mention_id,
        mention_count=inc.mention_count,
        peak_velocity=inc.peak_velocity,
        summary=inc.summary,
        responder=responder,
        packet=inc.packet,
        level=level,
        paged=paged or [],
        note=note,
        delivery=delivery,
        next_escalation_at=next_escalation_at,
    )


def surge_root_id(*, at: datetime, window: timedelta) -> str:
    """The stand-in thread root of a brand surge: the start of its fixed window."""
    seconds = window.total_seconds()
    start = datetime.fromtimestamp(at.timestamp() // seconds * seconds, UTC)
    return f"surge:{start.isoformat()}"
