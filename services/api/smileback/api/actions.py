"""The responder's actions on an incident, as IncidentEvents (pure).

The lock: an incident's `owner` holds it from an acknowledgement (or an assignment) until
it is resolved. Acknowledging claims an unowned incident for the responder acting; while
someone else holds it, acknowledging, resolving or assigning it is a conflict that names
the owner (for the same responder, acknowledging again changes nothing). The one way past
an owner is an explicit take-over with a reason, recorded as an `updated` event that names
the previous owner. Resolving releases the lock; resolving twice is a no-op. A note may be
added by anyone at any time. An event's `responder` is who acted, its `owner` who holds the
incident after an acknowledgement, an assignment or a take-over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from smileback.common.events import IncidentEvent, IncidentEventType, ResponderAction, Severity
from smileback.common.incident_status import IncidentStatus

__all__ = [
    "ActingResponder",
    "ActionConflictError",
    "ActionKind",
    "IncidentSnapshot",
    "owner_after",
    "plan_action",
]


class ActionKind(StrEnum):
    ACKNOWLEDGE = "ack"
    RESOLVE = "resolve"
    ASSIGN = "assign"
    TAKE_OVER = "take_over"
    NOTE = "note"


class ActionConflictError(Exception):
    """The action does not fit the incident's current state; `owner` holds it, if anyone."""

    def __init__(self, message: str, *, owner: str | None = None) -> None:
        super().__init__(message)
        self.owner = owner


@dataclass(frozen=True)
class ActingResponder:
    """Who takes an action: a responder of the on-call file, known from the credential used.

    `key_id` is that credential (an API key's id, or a channel's own id for a responder
    resolved from PagerDuty or Slack); `on_behalf` is true when an admin key acted for
    `responder` instead of the responder's own credential."""

    responder: str
    key_id: str | None = None
    on_behalf: bool = False


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
    acting: ActingResponder,
    at: datetime,
    nonce: str,
    owner: str | None = None,
    note: str | None = None,
    reason: str | None = None,
) -> IncidentEvent | None:
    """The event that records the action, None when it changes nothing, or ActionConflictError."""
    who = acting.responder
    resolved = incident.status is IncidentStatus.RESOLVED
    holder = None if resolved else incident.owner
    if kind in (ActionKind.ACKNOWLEDGE, ActionKind.ASSIGN, ActionKind.TAKE_OVER) and resolved:
        raise ActionConflictError("the incident is resolved")
    if kind in (ActionKind.ACKNOWLEDGE, ActionKind.RESOLVE, ActionKind.ASSIGN):
        _check_lock(holder=holder, who=who)
    action: ResponderAction | None = None  # what an `updated` event did
    new_owner: str | None = None  # who holds the incident after this event
    if kind is ActionKind.ACKNOWLEDGE:
        if (
            incident.status is IncidentStatus.ACKNOWLEDGED
            and (holder or incident.acknowledged_by) == who
        ):
            return None
        event_type, new_owner = IncidentEventType.ACKNOWLEDGED, who
    elif kind is ActionKind.RESOLVE:
        if resolved:
            return None
        event_type = IncidentEventType.RESOLVED
    elif kind is ActionKind.ASSIGN:
        if owner is None:
            raise ValueError("assign needs an owner")
        if owner == holder:
            return None
        event_type, new_owner = IncidentEventType.UPDATED, owner
        action = ResponderAction(kind="assign", owner=owner)
    elif kind is ActionKind.TAKE_OVER:
        if not reason:
            raise ValueError("a take-over needs its reason")
        if holder is None:
            raise ActionConflictError("no one holds the incident; acknowledge it instead")
        if holder == who:
            return None
        event_type, new_owner = IncidentEventType.UPDATED, who
        action = ResponderAction(kind="take_over", owner=who, previous_owner=holder, reason=reason)
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
        responder=who,
        action=action,
        owner=new_owner,
        key_id=acting.key_id,
        on_behalf_of=who if acting.on_behalf else None,
    )


def owner_after(event: IncidentEvent, *, before: str | None) -> str | None:
    """Who holds the incident once `event` is applied, when it was `before`."""
    if event.type is IncidentEventType.RESOLVED:
        return None  # resolving releases the lock
    if event.owner is not None and (
        event.type is IncidentEventType.ACKNOWLEDGED or event.action is not None
    ):
        return event.owner
    return before


def _check_lock(*, holder: str | None, who: str) -> None:
    if holder is not None and holder != who:
        raise ActionConflictError(
            f"claimed by {holder}; take it over (with a reason) to act on it", owner=holder
        )
