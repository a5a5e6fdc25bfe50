from datetime import UTC, datetime, timedelta

import pytest

from smileback.scorer.threads import ThreadTracker, pile_on_risk

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _reply(tracker, i, minutes, *, root="root", negative=True, reach=0.1):
    return tracker.observe(
        root_id=root,
        mention_id=f"m{i}",
        at=T0 + timedelta(minutes=minutes),
        is_reply=True,
        negative=negative,
        reach=reach,
    )


def test_a_burst_is_fast_and_spread_out_replies_are_slow():
    burst, spread = ThreadTracker(), ThreadTracker()
    burst_states = [_reply(burst, i, i * 0.1) for i in range(30)]  # 30 in 3 minutes
    spread_states = [_reply(spread, i, i * 30) for i in range(30)]  # one every 30 minutes
    assert burst_states[-1].velocity == pytest.approx(3.0)
    assert [s.velocity for s in burst_states] == sorted(s.velocity for s in burst_states)
    assert max(s.velocity for s in spread_states) == pytest.approx(0.1)


def test_velocity_counts_only_negative_replies_in_the_window_ending_at_the_mention():
    tracker = ThreadTracker(window=timedelta(minutes=10))
    tracker.observe(
        root_id="root", mention_id="root", at=T0, is_reply=False, negative=True, reach=0.5
    )
    _reply(tracker, 1, 1)
    _reply(tracker, 2, 2, negative=False)
    state = _reply(tracker, 3, 5)
    assert state.velocity == pytest.approx(
        0.2
    )  # m1 and m3; the root and the kind reply do not count
    assert _reply(tracker, 4, 11, negative=False).velocity == pytest.approx(
        0.1
    )  # m1 left the window


def test_a_duplicate_mention_id_never_counts_twice():
    tracker = ThreadTracker()
    _reply(tracker, 1, 0)
    first = _reply(tracker, 2, 1)
    again = _reply(tracker, 2, 1)
    assert first.velocity == again.velocity == pytest.approx(0.2)
    assert _reply(tracker, 3, 2).velocity == pytest.approx(0.3)
    assert tracker.events_held(root_id="root") == 3


def test_late_mentions_are_placed_by_their_own_time():
    tracker = ThreadTracker(window=timedelta(minutes=10))
    _reply(tracker, 1, 0)
    _reply(tracker, 2, 20)
    late = _reply(tracker, 3, 5)  # arrives after m2 but happened before it
    assert late.velocity == pytest.approx(0.2)  # m1 and itself, not m2 from its future
    assert _reply(tracker, 4, 14).velocity == pytest.approx(0.2)  # m3 (t=5) and itself
    assert _reply(tracker, 5, 21).velocity == pytest.approx(0.3)  # m2, m4 and itself


def test_old_events_are_dropped_and_threads_are_capped_least_recently_seen_first():
    tracker = ThreadTracker(window=timedelta(minutes=10), max_threads=2)
    for i in range(50):
        _reply(tracker, i, i * 5)  # 4 hours of replies
    assert tracker.events_held(root_id="root") <= 5  # two windows of one reply per 5 minutes
    _reply(tracker, 100, 0, root="b")
    _reply(tracker, 101, 0, root="root")  # touch root so "b" is the least recently seen
    _reply(tracker, 102, 0, root="c")
    assert len(tracker) == 2
    assert tracker.events_held(root_id="b") == 0
    assert tracker.events_held(root_id="root") > 0


def test_root_reach_is_remembered_for_replies_and_falls_back_to_the_mention():
    tracker = ThreadTracker()
    assert _reply(tracker, 1, 0, reach=0.2).root_reach == 0.2  # root not seen yet
    tracker.observe(
        root_id="root", mention_id="root", at=T0, is_reply=False, negative=True, reach=0.8
    )
    assert _reply(tracker, 2, 1, reach=0.1).root_reach == 0.8
    assert _reply(tracker, 3, 1, root="other", negative=False, reach=0.3).root_reach == 0.3
    assert len(tracker) == 1  # a kind reply to an unknown root holds no state


def test_pile_on_risk_is_low_for_a_calm_thread_and_high_for_a_burst():
    calm = pile_on_risk(root_reach=0.77, velocity=0.1, negativity=0.95)
    burst = pile_on_risk(root_reach=0.77, velocity=3.0, negativity=0.95)
    assert calm < 0.1
    assert burst > 0.7
    assert pile_on_risk(root_reach=0.0, velocity=0.0, negativity=0.0) == 0.0
    assert pile_on_risk(root_reach=1.0, velocity=1e9, negativity=1.0) == pytest.approx(1.0)


@pytest.mark.parametrize("field", ["root_reach", "velocity", "negativity"])
def test_pile_on_risk_is_monotone_in_each_input(field):
    base = {"root_reach": 0.5, "velocity": 1.0, "negativity": 0.5}
    lower = pile_on_risk(**base)
    higher = pile_on_risk(**{**base, field: base[field] + 0.4})
    assert higher > lower
