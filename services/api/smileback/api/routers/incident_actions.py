"""The responder's actions: acknowledge, resolve, assign, take over, add a note.

The key decides who acts (see `smileback.api.acting`); the one path for every action is
`act`. Each answers with a small result (ActionResultOut): the incident's state after the
action and the event it recorded; the whole incident is `GET /v1/incidents/{id}`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from smileback.api.acting import act, acting_responder
from smileback.api.actions import ActionKind
from smileback.api.deps import ContextDep, ResponderDep
from smileback.api.errors import documented
from smileback.api.schemas import ActionResultOut, AssignIn, NoteIn, ResponderIn, TakeOverIn

__all__ = ["acknowledge", "add_note", "assign", "resolve", "router", "take_over"]

router = APIRouter(prefix="/v1/incidents", tags=["incidents"])

_RESPONSES = documented(404, 409, 503, body=True)


@router.post("/{incident_id}/acknowledge", response_model=ActionResultOut, responses=_RESPONSES)
def acknowledge(
    incident_id: str,
    context: ContextDep,
    principal: ResponderDep,
    body: Annotated[ResponderIn | None, Body()] = None,
) -> ActionResultOut:
    """Claim the incident for the key's responder; stops its escalation. 409 naming the
    owner when someone else holds it."""
    body = body or ResponderIn()
    acting = acting_responder(
        context, principal, claimed=body.responder, on_behalf_of=body.on_behalf_of
    )
    return act(context, incident_id, ActionKind.ACKNOWLEDGE, acting)


@router.post("/{incident_id}/resolve", response_model=ActionResultOut, responses=_RESPONSES)
def resolve(
    incident_id: str,
    context: ContextDep,
    principal: ResponderDep,
    body: Annotated[ResponderIn | None, Body()] = None,
) -> ActionResultOut:
    """Close the incident and release its lock (only its owner may, while it has one)."""
    body = body or ResponderIn()
    acting = acting_responder(
        context, principal, claimed=body.responder, on_behalf_of=body.on_behalf_of
    )
    return act(context, incident_id, ActionKind.RESOLVE, acting)


@router.post("/{incident_id}/assign", response_model=ActionResultOut, responses=_RESPONSES)
def assign(
    incident_id: str, body: AssignIn, context: ContextDep, principal: ResponderDep
) -> ActionResultOut:
    """Give the incident its one owner: only its owner may, or anyone while it has none
    (someone else's incident is taken over first)."""
    acting = acting_responder(
        context, principal, claimed=body.responder, on_behalf_of=body.on_behalf_of
    )
    return act(context, incident_id, ActionKind.ASSIGN, acting, owner=body.owner)


@router.post("/{incident_id}/take-over", response_model=ActionResultOut, responses=_RESPONSES)
def take_over(
    incident_id: str, body: TakeOverIn, context: ContextDep, principal: ResponderDep
) -> ActionResultOut:
    """Take an incident someone else holds, with the reason why: recorded in the timeline,
    and the previous owner is told."""
    acting = acting_responder(
        context, principal, claimed=body.responder, on_behalf_of=body.on_behalf_of
    )
    return act(context, incident_id, ActionKind.TAKE_OVER, acting, reason=body.reason)


@router.post(
    "/{incident_id}/notes", response_model=ActionResultOut, status_code=201, responses=_RESPONSES
)
def add_note(
    incident_id: str, body: NoteIn, context: ContextDep, principal: ResponderDep
) -> ActionResultOut:
    """Add a note by the key's responder to the incident's timeline."""
    acting = acting_responder(
        context, principal, claimed=body.responder, on_behalf_of=body.on_behalf_of
    )
    return act(context, incident_id, ActionKind.NOTE, acting, note=body.text)
