"""The responder's actions as incident events (pure): what each does in each state."""

from __future__ import annotations

from dataclasses import replace

import pytest

from smileback.api.actions import ActionConflictError, ActionKind, IncidentSnapshot, plan_action
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


def _plan(incident: IncidentSnapshot, kind: ActionKind, actor: str = "sam", **kw: str):
    return plan_action(incident=incident, kind=kind, actor=actor, at=T0, nonce="n1", **kw)


def test_acknowledging_an_open_incident() -> None:
    event = _plan(OPEN, ActionKind.ACKNOWLEDGE)
    assert event is not None
    assert event.type is IncidentEventType.ACKNOWLEDGED
    assert event.event_id == "inc_1:ack:n1"
    assert (event.actor, event.at, event.incident_id) == ("sam", T0, "inc_1")
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
    assert event.assignee == "sam"  # acknowledging claims it


def test_acknowledging_an_assigned_incident_keeps_its_owner() -> None:
    event = _plan(replace(OPEN, owner="kim"), ActionKind.ACKNOWLEDGE, actor="sam")
    assert event is not None
    assert (event.actor, event.assignee) == ("sam", "kim")


def test_acknowledging_again_is_a_no_op_for_the_same_responder_and_a_conflict_for_another() -> None:
    assert _plan(ACKED, ActionKind.ACKNOWLEDGE, actor="sam") is None
    with pytest.raises(ActionConflictError, match="already acknowledged by sam"):
        _plan(ACKED, ActionKind.ACKNOWLEDGE, actor="kim")


def test_a_resolved_incident_cannot_be_acknowledged_or_assigned() -> None:
    with pytest.raises(ActionConflictError, match="resolved"):
        _plan(RESOLVED, ActionKind.ACKNOWLEDGE)
    with pytest.raises(ActionConflictError, match="resolved"):
        _plan(RESOLVED, ActionKind.ASSIGN, owner="kim")


def test_resolving() -> None:
    for incident in (OPEN, ACKED):
        event = _plan(incident, ActionKind.RESOLVE, actor="kim")
        assert event is not None
        assert (event.type, event.actor) == (IncidentEventType.RESOLVED, "kim")
    assert _plan(RESOLVED, ActionKind.RESOLVE) is None


def test_assigning_sets_one_owner() -> None:
    event = _plan(ACKED, ActionKind.ASSIGN, actor="lead", owner="kim")
    assert event is not None
    assert event.type is IncidentEventType.UPDATED
    assert event.action == ResponderAction(kind="assign", owner="kim")
    assert (event.actor, event.assignee) == ("lead", "kim")
    assert _plan(ACKED, ActionKind.ASSIGN, owner="sam") is None  # already the owner


def test_a_note_in_any_state() -> None:
    for incident in (OPEN, ACKED, RESOLVED):
        event = _plan(incident, ActionKind.NOTE, actor="kim", note="called them back")
        assert event is not None
        assert event.type is IncidentEventType.UPDATED
        assert event.action == ResponderAction(kind="note", note="called them back")
        assert event.event_id == "inc_1:note:n1"


def test_missing_arguments_are_programming_errors() -> None:
    with pytest.raises(ValueError, match="owner"):
        _plan(OPEN, ActionKind.ASSIGN)
    with pytest.raises(ValueError, match="text"):
        _plan(OPEN, ActionKind.NOTE)
