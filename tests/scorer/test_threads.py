import json
from datetime import UTC, datetime, timedelta

import pytest

from smileback.scorer.state import digest
from smileback.scorer.threads import (
    MAX_NEGATIVES,
    SEEN_IDS,
    Post,
    ThreadState,
    ThreadTracker,
    observe,
    read,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _post(i, minutes, *, negative=True, reply=True, reach=0.1, author=None, credibility=1.0):
    return Post(
        mention_id=f"m{i}",
        at=T0 + timedelta(minutes=minutes),
        is_reply=reply,
        negative=negative,
        reach=reach,
        author=author or digest(f"a{i}"),
        credibility=credibility,
    )


def _feed(posts, state=None):
    readings = []
    for post in posts:
        state, reading = observe(state, post)
        readings.append(reading)
    return state, readings


def test_a_burst_is_fast_and_spread_out_replies_are_slow():
    _, burst = _feed(_post(i, i * 0.1) for i in range(30))  # 30 in 3 minutes
    _, spread = _feed(_post(i, i * 30) for i in range(30))  # one every 30 minutes
    assert burst[-1].velocity == pytest.approx(3.0)
    assert [r.velocity for r in burst] == sorted(r.velocity for r in burst)
    assert max(r.velocity for r in spread) == pytest.approx(0.1)


def test_velocity_counts_negative_replies_in_the_window_ending_at_the_mention():
    state, _ = observe(None, _post("root", 0, reply=False, reach=0.5))
    state, _ = observe(state, _post(1, 1))
    state, _ = observe(state, _post(2, 2, negative=False))
    state, third = observe(state, _post(3, 5))
    assert third.velocity == pytest.approx(0.2)  # m1 and m3; the root and the kind reply do not
    state, fourth = observe(state, _post(4, 11, negative=False))
    assert fourth.velocity == pytest.approx(0.1)  # m1 left the window


def test_acceleration_compares_this_window_with_the_one_before():
    heating, readings = _feed(_post(i, i) for i in range(10))  # one a minute for ten minutes
    assert readings[-1].velocity == pytest.approx(1.0)
    assert readings[-1].previous_velocity == 0.0
    assert readings[-1].acceleration == pytest.approx(0.1)  # +1/min over 10 minutes
    _, (cooling,) = _feed([_post(20, 19.5)], heating)  # then one reply in the next ten minutes
    assert cooling.previous_velocity == pytest.approx(1.0)  # m0..m9 are the window before
    assert cooling.velocity == pytest.approx(0.1)
    assert cooling.acceleration == pytest.approx(-0.09)


def test_negative_share_is_negative_replies_over_all_replies_in_the_window():
    posts = [_post(i, i * 0.5, negative=i % 4 == 0) for i in range(8)]  # 2 of 8 negative
    _, readings = _feed(posts)
    assert readings[-1].negative_share == pytest.approx(0.25)
    assert read(None, at=T0, reach=0.3).negative_share == 0.0


def test_credible_velocity_weighs_authors_once_each_at_their_highest_credibility():
    same = [_post(i, i * 0.1, author="angry", credibility=0.5 + i / 100) for i in range(10)]
    _, alone = _feed(same)
    assert alone[-1].velocity == pytest.approx(1.0)  # ten replies ...
    assert alone[-1].credible_velocity == pytest.approx(0.059)  # ... but one person: 0.59 / 10
    _, many = _feed(_post(i, i * 0.1, credibility=0.5) for i in range(10))
    assert many[-1].credible_velocity == pytest.approx(0.5)


def test_a_duplicate_mention_id_never_counts_twice():
    state, _ = _feed([_post(1, 0), _post(2, 1)])
    state, again = observe(state, _post(2, 1))
    assert again.duplicate
    assert again.velocity == pytest.approx(0.2)
    state, third = observe(state, _post(3, 2))
    assert not third.duplicate
    assert third.velocity == pytest.approx(0.3)
    assert len(state.negatives) == 3
    assert sum(state.replies.values()) == 3


def test_a_duplicate_leaves_the_state_object_unchanged():
    state, _ = _feed([_post(1, 0)])
    same, _ = observe(state, _post(1, 0))
    assert same is state


def test_late_mentions_are_placed_by_their_own_time():
    state, _ = _feed([_post(1, 0), _post(2, 20)])
    state, late = observe(state, _post(3, 5))  # arrives after m2 but happened before it
    assert late.velocity == pytest.approx(0.2)  # m1 and itself, not m2 from its future
    state, r4 = observe(state, _post(4, 14))
    assert r4.velocity == pytest.approx(0.2)  # m3 (t=5) and itself
    _, r5 = observe(state, _post(5, 21))
    assert r5.velocity == pytest.approx(0.3)  # m2, m4 and itself


def test_a_mention_older_than_three_windows_before_the_newest_is_too_late_to_count():
    state, _ = _feed([_post(1, 60)])
    state, late = observe(state, _post(2, 0))
    assert late.velocity == 0.0
    assert len(state.negatives) == 1
    assert min(state.replies) >= (T0 + timedelta(minutes=30)).timestamp() // 60


def test_state_stays_bounded():
    state, _ = _feed(_post(i, i * 5) for i in range(50))  # four hours, one every 5 minutes
    assert len(state.negatives) <= 7  # three windows of one per 5 minutes
    assert len(state.replies) <= 7
    flood, _ = _feed(_post(i, i / 1000) for i in range(MAX_NEGATIVES + 200))
    assert len(flood.negatives) == MAX_NEGATIVES
    assert len(flood.seen) == SEEN_IDS
    assert flood.seen[-1] == digest(f"m{MAX_NEGATIVES + 199}")


def test_root_reach_is_remembered_for_replies_and_falls_back_to_the_mention():
    state, first = observe(None, _post(1, 0, reach=0.2))
    assert first.root_reach == 0.2  # root not seen yet
    state, _ = observe(state, _post("root", 0, reply=False, reach=0.8))
    _, second = observe(state, _post(2, 1, reach=0.1))
    assert second.root_reach == 0.8
    assert state.root_reach == 0.8


def test_the_root_itself_changes_the_state_only_when_its_reach_does():
    state, _ = observe(None, _post("root", 0, reply=False, reach=0.8))
    same, reading = observe(state, _post("root", 0, reply=False, reach=0.8))
    assert same is state
    assert reading.velocity == 0.0


def test_the_state_round_trips_through_json_as_a_faust_table_stores_it():
    state, _ = _feed(_post(i, i * 0.5, negative=i % 2 == 0) for i in range(9))
    stored = json.loads(json.dumps(state.model_dump(mode="json")))
    back = ThreadState.model_validate(stored)
    assert back == state
    _, again = observe(back, _post(9, 4.6))
    _, direct = observe(state, _post(9, 4.6))
    assert again == direct


def test_the_tracker_keeps_a_bounded_number_of_threads_least_recently_used_first():
    tracker = ThreadTracker(max_threads=2)
    for root in ("a", "b"):
        tracker.put(root, ThreadState())
    assert tracker.get("a") is not None  # "b" is now the least recently used
    tracker.put("c", ThreadState())
    assert len(tracker) == 2
    assert tracker.get("b") is None
    assert tracker.get("a") is not None
