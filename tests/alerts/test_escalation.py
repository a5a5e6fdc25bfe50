"""Escalation along levels with delays, repeated up to a limit; stopped by acknowledgement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from smileback.alerts.escalation import EscalationState, due_escalations, start_escalation
from smileback.common.oncall import EscalationLevel, EscalationPolicy

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
POLICY = EscalationPolicy(
    levels=(
        EscalationLevel(notify=("slack",), escalate_after_minutes=5),
        EscalationLevel(notify=("email",), escalate_after_minutes=10),
    ),
    repeat=1,
)
POLICIES = {"p": POLICY}


def run_until_quiet(state: EscalationState, *, step: timedelta = timedelta(minutes=1)):
    """Tick every minute for two hours; returns (minute, level, round, seq) of each firing."""
    fired = []
    now = T0
    states = {"inc": state}
    for _ in range(120):
        now += step
        for esc in due_escalations(states=states, policies=POLICIES, now=now):
            fired.append((int((now - T0).total_seconds() // 60), esc.level, esc.round, esc.seq))
            states[esc.incident_id] = esc.state
    return fired, states["inc"]


def test_levels_fire_after_their_delays_then_repeat_then_stop() -> None:
    state = start_escalation(policy_name="p", policy=POLICY, now=T0, seq=0)
    assert state.next_at == T0 + timedelta(minutes=5)
    fired, final = run_until_quiet(state)
    # Level 1 fired at 0 (the page); level 2 at 5; again level 1 at 15, level 2 at 20.
    assert fired == [(5, 1, 0, 1), (15, 0, 1, 2), (20, 1, 1, 3)]
    assert final.next_at is None


def test_nothing_is_due_before_its_time_or_when_stopped() -> None:
    state = start_escalation(policy_name="p", policy=POLICY, now=T0, seq=0)
    early = T0 + timedelta(minutes=4, seconds=59)
    assert due_escalations(states={"a": state}, policies=POLICIES, now=early) == []
    stopped = state.stopped()
    assert (
        due_escalations(states={"a": stopped}, policies=POLICIES, now=T0 + timedelta(hours=9)) == []
    )
    fired, _ = run_until_quiet(stopped)
    assert fired == []


def test_a_single_level_without_repeat_never_escalates() -> None:
    once = EscalationPolicy(levels=(EscalationLevel(notify=("webhook",)),))
    state = start_escalation(policy_name="once", policy=once, now=T0, seq=0)
    assert state.next_at is None


def test_late_tick_fires_once_and_times_the_next_level_from_now() -> None:
    state = start_escalation(policy_name="p", policy=POLICY, now=T0, seq=7)
    late = T0 + timedelta(hours=1)
    (esc,) = due_escalations(states={"a": state}, policies=POLICIES, now=late)
    assert (esc.level, esc.round, esc.seq) == (1, 0, 8)
    assert esc.state.next_at == late + timedelta(minutes=10)
    # An unknown policy (e.g. removed from the file) never fires.
    assert due_escalations(states={"a": state}, policies={}, now=late) == []


def test_state_round_trips_as_json() -> None:
    state = start_escalation(policy_name="p", policy=POLICY, now=T0, seq=3)
    assert EscalationState.model_validate_json(state.model_dump_json()) == state
