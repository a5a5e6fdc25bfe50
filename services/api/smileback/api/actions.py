"""The responder's actions on an incident, as IncidentEvents (pure).

Acknowledging claims the incident for one responder: a second responder gets a
conflict, the same one a no-op. Resolving twice is a no-op. Assigning sets the
one owner. A note is an `updated` event whose `action` carries the text. `assignee` says
who owns the incident after an acknowledgement or an assignment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from smileback.common.events import IncidentEvent, IncidentEventType, ResponderAction, Severity
from smileback.common.incident_status import IncidentStatus

__all__ = ["ActionConflictError", "ActionKind", "IncidentSnapshot", "plan_action"]


class ActionKind(StrEnum):
    ACKNOWLEDGE = "ack"
    RESOLVE = "resolve"
    ASSIGN = "assign"
    NOTE = "note"


class ActionConflictError(Exception):
    """The action does not fit the incident's current state."""


@dataclass(frozen=True)
class IncidentSnapshot:
    """What an action needs to know about the incident."""

    id: str
    brand: str
    thread_root_id: str
    rule: str
    severity: Severity
    status: IncidentStatus
    mention_id: str
    mention_count: int
    peak_velocity: float
    owner: str | None
    acknowledged_by: str | None


def plan_action(
    *,
    incident: IncidentSnapshot,
    kind: ActionKind,
    actor: str,
    at: datetime,
    nonce: str,
    owner: str | None = None,
    note: str | None = None,
) -> IncidentEvent | None:
    """The event that records the action, None when it changes nothing, or ActionConflictError."""
    resolved = incident.status is IncidentStatus.RESOLVED
    action: ResponderAction | None = None  # what an `updated` event did
    assignee: str | None = None  # who owns the incident after this event
    if kind is ActionKind.ACKNOWLEDGE:
        if resolved:
            raise ActionConflictError("the incident is resolved")
        if incident.status is IncidentStatus.ACKNOWLEDGED:
            if incident.acknowledged_by == actor:
                return None
            raise ActionConflictError(f"already acknowledged by {incident.acknowledged_by}")
        event_type, assignee = IncidentEventType.ACKNOWLEDGED, incident.owner or actor
    elif kind is ActionKind.RESOLVE:
        if resolved:
            return None
        event_type = IncidentEventType.RESOLVED
    elif kind is ActionKind.ASSIGN:
        if resolved:
            raise ActionConflictError("the incident is resolved")
        if owner is None:
            raise ValueError("assign needs an owner")
        if owner == incident.owner:
            return None
        event_type, assignee = IncidentEventType.UPDATED, owner
        action = ResponderAction(kind="assign", owner=owner)
    else:
        if note is None:
            raise ValueError("a note needs its text")
        event_type = IncidentEventType.UPDATED
        action = ResponderAction(kind="note", note=note)
    return IncidentEvent(
        event_id=f"{incident.id}:{kind}:{nonce}",
        type=event_type,
        incident_id=incident.id,
        brand=incident.brand,
        thread_root_id=incident.thread_root_id,
        rule=incident.rule,
        severity=incident.severity,
        at=at,
        mention_id=incident.mention_id,
        mention_count=incident.mention_count,
        peak_velocity=incident.peak_velocity,
        actor=actor,
        action=action,
        assignee=assignee,
    )
