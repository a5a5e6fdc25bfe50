"""Taking a responder's action on an incident: who acts, and the one path every action takes.

Who acts is known from the credential, never from a request body: `acting_responder` turns the
request's principal (an API key and its responder) into an ActingResponder; other
channels (PagerDuty, Slack) resolve their user to a responder of the on-call file and call
`act` with an ActingResponder of their own.

`act` applies the action's IncidentEvent to the store and publishes it to the incidents
topic (so the alerts service learns of it) in the same request and transaction, with the
incident row locked, so the answer already shows it. The projector sees the event again
later and skips it by its id.
"""

from __future__ import annotations

import uuid

import structlog

from smileback.api.actions import (
    ActingResponder,
    ActionConflictError,
    ActionKind,
    IncidentSnapshot,
    owner_after,
    plan_action,
)
from smileback.api.auth import Principal, Scope
from smileback.api.context import ApiContext
from smileback.api.errors import ApiError
from smileback.api.metrics import INCIDENT_ACTIONS
from smileback.api.routers.incidents import event_out
from smileback.api.schemas import ActionResultOut
from smileback.api.store import IncidentRow, apply_incident_event, compare_and_set_owner
from smileback.api.store.redaction import stored_packet
from smileback.common.errors import BusError, ConfigError
from smileback.common.events import Severity
from smileback.common.incident_status import IncidentStatus

__all__ = ["act", "acting_responder"]

log = structlog.get_logger(__name__)


def acting_responder(
    context: ApiContext,
    principal: Principal,
    *,
    claimed: str | None = None,
    on_behalf_of: str | None = None,
) -> ActingResponder:
    """Who acts in a request: the key's responder, or, for an admin key, the responder named
    in `on_behalf_of`. A body naming another responder (`claimed`) is refused with 403."""
    if on_behalf_of is not None:
        if principal.scope is not Scope.ADMIN:
            raise _forbidden("only an admin key may act on behalf of someone")
        _check_known(context, on_behalf_of)
        responder, on_behalf = on_behalf_of, True
    elif principal.responder is None:
        raise _forbidden(
            "this key belongs to no responder; create one with `smileback keys create "
            "--responder <id>`, or act with an admin key and `on_behalf_of`"
        )
    else:
        responder, on_behalf = principal.responder, False
    if claimed is not None and claimed != responder:
        raise _forbidden(
            f"this request acts as {responder!r} (its key says so); "
            f"a body cannot name another responder ({claimed!r})"
        )
    return ActingResponder(responder=responder, key_id=principal.key_id, on_behalf=on_behalf)


def act(
    context: ApiContext,
    incident_id: str,
    kind: ActionKind,
    acting: ActingResponder,
    *,
    owner: str | None = None,
    note: str | None = None,
    reason: str | None = None,
) -> ActionResultOut:
    """Take the action as `acting`: 404 without the incident, 409 (naming the owner) when it
    does not fit the incident's state or lock, 503 when the event cannot be published. The
    answer is the incident's state after it and the event recorded (None: nothing changed)."""
    with context.sessions() as session, session.begin():
        row = session.get(IncidentRow, incident_id, with_for_update=True)
        if row is None:
            raise ApiError(status=404, code="not_found", message=f"no incident {incident_id!r}")
        snapshot = _snapshot(row)
        try:
            event = plan_action(
                incident=snapshot,
                kind=kind,
                acting=acting,
                at=context.clock(),
                nonce=uuid.uuid4().hex,
                owner=owner,
                note=note,
                reason=reason,
            )
        except ActionConflictError as exc:
            raise ApiError(status=409, code="conflict", message=str(exc), owner=exc.owner) from exc
        if event is not None:
            new_owner = owner_after(event, before=snapshot.owner)
            if new_owner != snapshot.owner and not compare_and_set_owner(
                session=session, incident_id=incident_id, expected=snapshot.owner, owner=new_owner
            ):
                session.refresh(row)
                raise ApiError(
                    status=409,
                    code="conflict",
                    message=f"claimed by {row.owner} meanwhile",
                    owner=row.owner,
                )
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
            log.info(
                "incident action",
                incident_id=incident_id,
                action=str(kind),
                responder=acting.responder,
                key_id=acting.key_id,
                on_behalf=acting.on_behalf,
            )
        session.flush()
        session.refresh(row)
        return ActionResultOut(
            id=row.id,
            status=IncidentStatus(row.status),
            owner=row.owner,
            acknowledged_by=row.acknowledged_by,
            acknowledged_at=row.acknowledged_at,
            resolved_by=row.resolved_by,
            resolved_at=row.resolved_at,
            last_event_at=row.last_event_at,
            event=event_out(event) if event is not None else None,
        )


def _check_known(context: ApiContext, responder: str) -> None:
    """403 for a responder the on-call file does not define (when there is one)."""
    if context.oncall is None:
        return
    try:
        known = context.oncall.config().responders
    except ConfigError as exc:
        log.error("on-call file unusable", error=str(exc))
        raise ApiError(
            status=503, code="unavailable", message="the on-call file cannot be read"
        ) from exc
    if responder not in known:
        raise _forbidden(f"the on-call file defines no responder {responder!r}")


def _forbidden(message: str) -> ApiError:
    return ApiError(status=403, code="forbidden", message=message)


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
