"""The responder's actions as incident events (pure): what each does in each state and lock."""

from __future__ import annotations

from dataclasses import replace

import pytest

from smileback.api.actions import (
    ActingResponder,
    ActionConflictError,
    ActionKind,
    IncidentSnapshot,
    owner_after,
    plan_action,
)
from smileback.common.events import IncidentEventType, ResponderAction, Severity
from smileback.common.incident_status import IncidentStatus
from tests.support.builders import T0

OPEN = IncidentSnapshot(
    id="inc_1",
    brand="acme",
    thread_root_id="root-1",
    rule="large_audience_complaint",
    severity=Severity.CRITICAL,
    status=IncidentStatus.OPEN,
    mention_id="m1",
    mention_count=3,
    peak_velocity=1.5,
    owner=None,
    acknowledged_by=None,
)
ACKED = replace(OPEN, status=IncidentStatus.ACKNOWLEDGED, acknowledged_by="sam", owner="sam")
RESOLVED = replace(OPEN, status=IncidentStatus.RESOLVED)


def _plan(incident: IncidentSnapshot, kind: ActionKind, responder: str = "sam", **kw: str):
    who = ActingResponder(responder=responder, key_id=f"key-{responder}")
    return plan_action(incident=incident, kind=kind, acting=who, at=T0, nonce="n1", **kw)


def test_acknowledging_an_open_incident() -> None:
    event = _plan(OPEN, ActionKind.ACKNOWLEDGE)
    assert event is not None
    assert event.type is IncidentEventType.ACKNOWLEDGED
    assert event.event_id == "inc_1:ack:n1"
    assert (event.responder, event.at, event.incident_id) == ("sam", T0, "inc_1")
    # The incident's own facts ride along unchanged, so folding the event changes only status.
    assert (event.brand, event.thread_root_id, event.rule, event.severity) == (
        "acme",
        "root-1",
        "large_audience_complaint",
        Severity.CRITICAL,
    )
    assert (event.mention_id, event.mention_count, event.peak_velocity) == ("m1", 3, 1.5)
    assert event.summary == ""
    assert (event.packet, event.action) == (None, None)
    assert event.owner == "sam"  # acknowledging claims it
    assert (event.key_id, event.on_behalf_of) == ("key-sam", None)
    assert owner_after(event, before=None) == "sam"


def test_an_admin_acting_for_someone_is_recorded_as_such() -> None:
    admin = ActingResponder(responder="kim", key_id="bootstrap", on_behalf=True)
    event = plan_action(incident=OPEN, kind=ActionKind.ACKNOWLEDGE, acting=admin, at=T0, nonce="n")
    assert event is not None
    assert (event.responder, event.on_behalf_of, event.key_id) == ("kim", "kim", "bootstrap")


def test_an_assigned_incident_is_its_owners_to_acknowledge() -> None:
    assigned = replace(OPEN, owner="kim")
    with pytest.raises(ActionConflictError, match="claimed by kim") as conflict:
        _plan(assigned, ActionKind.ACKNOWLEDGE, responder="sam")
    assert conflict.value.owner == "kim"
    event = _plan(assigned, ActionKind.ACKNOWLEDGE, responder="kim")
    assert event is not None
    assert (event.responder, event.owner) == ("kim", "kim")


def test_acknowledging_again_is_a_no_op_for_the_same_responder_and_a_conflict_for_another() -> None:
    assert _plan(ACKED, ActionKind.ACKNOWLEDGE, responder="sam") is None
    for kind, kw in [
        (ActionKind.ACKNOWLEDGE, {}),
        (ActionKind.RESOLVE, {}),
        (ActionKind.ASSIGN, {"owner": "kim"}),
    ]:
        with pytest.raises(ActionConflictError, match="claimed by sam") as conflict:
            _plan(ACKED, kind, responder="kim", **kw)
        assert conflict.value.owner == "sam"


def test_taking_over_names_the_previous_owner_and_the_reason() -> None:
    event = _plan(ACKED, ActionKind.TAKE_OVER, responder="kim", reason="sam is off shift")
    assert event is not None
    assert event.type is IncidentEventType.UPDATED
    assert event.action == ResponderAction(
        kind="take_over", owner="kim", previous_owner="sam", reason="sam is off shift"
    )
    assert (event.responder, event.owner) == ("kim", "kim")
    assert owner_after(event, before="sam") == "kim"
    assert _plan(ACKED, ActionKind.TAKE_OVER, responder="sam", reason="mine") is None
    with pytest.raises(ActionConflictError, match="acknowledge it instead"):
        _plan(OPEN, ActionKind.TAKE_OVER, responder="kim", reason="x")
    with pytest.raises(ActionConflictError, match="resolved"):
        _plan(RESOLVED, ActionKind.TAKE_OVER, responder="kim", reason="x")
    with pytest.raises(ValueError, match="reason"):
        _plan(ACKED, ActionKind.TAKE_OVER, responder="kim")


def test_a_resolved_incident_cannot_be_acknowledged_or_assigned() -> None:
    with pytest.raises(ActionConflictError, match="resolved"):
        _plan(RESOLVED, ActionKind.ACKNOWLEDGE)
    with pytest.raises(ActionConflictError, match="resolved"):
        _plan(RESOLVED, ActionKind.ASSIGN, owner="kim")


def test_resolving_releases_the_lock() -> None:
    for incident in (OPEN, replace(ACKED, owner="kim", acknowledged_by="kim")):
        event = _plan(incident, ActionKind.RESOLVE, responder="kim")
        assert event is not None
        assert (event.type, event.responder) == (IncidentEventType.RESOLVED, "kim")
        assert owner_after(event, before=incident.owner) is None
    assert _plan(RESOLVED, ActionKind.RESOLVE) is None


def test_assigning_sets_one_owner() -> None:
    event = _plan(ACKED, ActionKind.ASSIGN, responder="sam", owner="kim")
    assert event is not None
    assert event.type is IncidentEventType.UPDATED
    assert event.action == ResponderAction(kind="assign", owner="kim")
    assert (event.responder, event.owner) == ("sam", "kim")
    assert owner_after(event, before="sam") == "kim"
    assert _plan(ACKED, ActionKind.ASSIGN, owner="sam") is None  # already the owner
    unowned = _plan(OPEN, ActionKind.ASSIGN, responder="lead", owner="kim")  # anyone's while unheld
    assert unowned is not None
    assert unowned.owner == "kim"


def test_a_note_in_any_state() -> None:
    for incident in (OPEN, ACKED, RESOLVED):
        event = _plan(incident, ActionKind.NOTE, responder="kim", note="called them back")
        assert event is not None
        assert event.type is IncidentEventType.UPDATED
        assert event.action == ResponderAction(kind="note", note="called them back")
        assert event.event_id == "inc_1:note:n1"
        assert owner_after(event, before=incident.owner) == incident.owner


def test_missing_arguments_are_programming_errors() -> None:
    with pytest.raises(ValueError, match="owner"):
        _plan(OPEN, ActionKind.ASSIGN)
    with pytest.raises(ValueError, match="text"):
        _plan(OPEN, ActionKind.NOTE)
