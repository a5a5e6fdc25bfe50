"""The responder's actions: acknowledge, resolve, assign, add a note.

Each one is an IncidentEvent, applied to the store and published to the incidents topic
(so the alerts service learns of it) in the same request and transaction, with the
incident row locked, so the answer already shows it. The projector sees the event again
later and skips it by its id.
"""

from __future__ import annotations

import uuid

import structlog
from fastapi import APIRouter, Depends

from smileback.api.actions import ActionConflictError, ActionKind, IncidentSnapshot, plan_action
from smileback.api.context import ApiContext
from smileback.api.deps import RESPOND, ContextDep
from smileback.api.errors import ApiError, documented
from smileback.api.metrics import INCIDENT_ACTIONS
from smileback.api.routers.incidents import incident_detail
from smileback.api.schemas import AssignIn, IncidentDetail, NoteIn, ResponderIn
from smileback.api.store import IncidentRow, apply_incident_event
from smileback.api.store.redaction import stored_packet
from smileback.common.errors import BusError
from smileback.common.events import Severity
from smileback.common.incident_status import IncidentStatus

__all__ = ["acknowledge", "add_note", "assign", "resolve", "router"]

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/v1/incidents", tags=["incidents"], dependencies=[Depends(RESPOND)])

_RESPONSES = documented(404, 409, 503, body=True)


@router.post("/{incident_id}/acknowledge", response_model=IncidentDetail, responses=_RESPONSES)
def acknowledge(incident_id: str, body: ResponderIn, context: ContextDep) -> IncidentDetail:
    """Claim the incident for one responder; stops its escalation."""
    return _act(context, incident_id, ActionKind.ACKNOWLEDGE, actor=body.responder)


@router.post("/{incident_id}/resolve", response_model=IncidentDetail, responses=_RESPONSES)
def resolve(incident_id: str, body: ResponderIn, context: ContextDep) -> IncidentDetail:
    """Close the incident."""
    return _act(context, incident_id, ActionKind.RESOLVE, actor=body.responder)


@router.post("/{incident_id}/assign", response_model=IncidentDetail, responses=_RESPONSES)
def assign(incident_id: str, body: AssignIn, context: ContextDep) -> IncidentDetail:
    """Give the incident its one owner."""
    actor = body.responder or body.owner
    return _act(context, incident_id, ActionKind.ASSIGN, actor=actor, owner=body.owner)


@router.post(
    "/{incident_id}/notes", response_model=IncidentDetail, status_code=201, responses=_RESPONSES
)
def add_note(incident_id: str, body: NoteIn, context: ContextDep) -> IncidentDetail:
    """Add a note to the incident's timeline."""
    return _act(context, incident_id, ActionKind.NOTE, actor=body.author, note=body.text)


def _act(
    context: ApiContext,
    incident_id: str,
    kind: ActionKind,
    *,
    actor: str,
    owner: str | None = None,
    note: str | None = None,
) -> IncidentDetail:
    with context.sessions() as session, session.begin():
        row = session.get(IncidentRow, incident_id, with_for_update=True)
        if row is None:
            raise ApiError(status=404, code="not_found", message=f"no incident {incident_id!r}")
        try:
            event = plan_action(
                incident=_snapshot(row),
                kind=kind,
                actor=actor,
                at=context.clock(),
                nonce=uuid.uuid4().hex,
                owner=owner,
                note=note,
            )
        except ActionConflictError as exc:
            raise ApiError(status=409, code="conflict", message=str(exc)) from exc
        if event is not None:
            # Written before it is published: the projector reads this event back from the
            # topic, and if it could insert the event's row first it would then wait for the
            # incident row locked here while this request waited for its event row, a
            # deadlock that PostgreSQL breaks by failing one of the two. Once the event row
            # is ours, the projector just waits for the commit and skips the event.
            apply_incident_event(session=session, event=event)
            session.flush()
            if context.publisher is not None:
                try:
                    context.publisher.publish(event)
                except BusError as exc:  # raising rolls the store back: nothing happened
                    log.error("could not publish incident event", error=str(exc))
                    raise ApiError(
                        status=503, code="unavailable", message="the event bus is unavailable"
                    ) from exc
            INCIDENT_ACTIONS.labels(action=str(kind)).inc()
            log.info("incident action", incident_id=incident_id, action=str(kind), actor=actor)
        session.flush()
        session.refresh(row)
        return incident_detail(session=session, row=row)


def _snapshot(row: IncidentRow) -> IncidentSnapshot:
    packet = stored_packet(row.context)
    return IncidentSnapshot(
        id=row.id,
        brand=row.brand,
        thread_root_id=row.thread_root_id,
        rule=row.rule,
        severity=Severity(row.severity),
        status=IncidentStatus(row.status),
        mention_id=packet.mention_id if packet is not None else row.thread_root_id,
        mention_count=row.mention_count,
        peak_velocity=row.peak_velocity,
        owner=row.owner,
        acknowledged_by=row.acknowledged_by,
    )
