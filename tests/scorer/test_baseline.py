import json
from datetime import timedelta

import pytest

from smileback.scorer.baseline import (
    BUCKET_S,
    HISTORY_BUCKETS,
    NOW_BUCKETS,
    SEEN_IDS,
    BrandState,
    observe,
    read,
)
from tests.support.builders import T0


def _feed(times, *, state=None, negative=True, prefix="m"):
    reading = None
    for i, at in enumerate(times):
        state, reading = observe(state, mention_id=f"{prefix}{i}", at=at, negative=negative)
    return state, reading


def test_a_surge_stands_out_against_a_quiet_past():
    # Two complaints an hour for thirteen hours, then twenty in the last hour.
    past = [T0 + timedelta(minutes=30 * i - 60) for i in range(26)]
    state, _ = _feed(past, prefix="p")
    now = T0 + timedelta(hours=12, minutes=5)
    state, reading = _feed([now + timedelta(minutes=2 * i) for i in range(20)], state=state)
    assert reading.negative_now == 20
    assert reading.negative_baseline == pytest.approx(2.0)


def test_a_steady_brand_does_not_surge():
    times = [T0 + timedelta(minutes=20 * i) for i in range(14 * 3)]  # three an hour for 14 hours
    _, reading = _feed(times)
    assert reading.negative_now == 3
    assert reading.negative_baseline == pytest.approx(3.0)


def test_a_young_brand_averages_over_the_hours_it_has_history_for():
    # Six an hour for three hours; the last hour is the 12 buckets from T0 + 2 h to T0 + 2:55.
    times = [T0 + timedelta(minutes=10 * i) for i in range(18)] + [T0 + timedelta(minutes=175)]
    _, reading = _feed(times)
    assert reading.negative_now == 7
    assert reading.negative_baseline == pytest.approx(6.0)  # 12 over 2 hours, not over 12
    _, first = _feed([T0])
    assert first.negative_now == 1
    assert first.negative_baseline == 0.0


def test_kind_mentions_add_no_volume_and_do_not_change_the_state():
    state, _ = _feed([T0])
    same, reading = observe(state, mention_id="kind", at=T0, negative=False)
    assert same is state
    assert reading.negative_now == 1
    started, _ = observe(None, mention_id="kind", at=T0, negative=False)
    assert started.buckets == {}
    assert started.since == int(T0.timestamp() // BUCKET_S)


def test_a_redelivered_negative_mention_does_not_count_twice():
    state, _ = _feed([T0, T0])
    same, again = observe(state, mention_id="m1", at=T0, negative=True)
    assert again.duplicate
    assert again.negative_now == 2
    assert same is state


def test_late_mentions_are_placed_by_their_own_time_and_move_the_start_back():
    state, _ = _feed([T0 + timedelta(hours=5)])
    state, late = observe(state, mention_id="late", at=T0, negative=True)
    assert late.negative_now == 1  # only itself: the other is in its future
    assert state.since == int(T0.timestamp() // BUCKET_S)
    _, now = observe(state, mention_id="now", at=T0 + timedelta(hours=5, minutes=55), negative=True)
    assert now.negative_now == 2
    assert now.negative_baseline == pytest.approx(0.2)  # the late one, over five hours


def test_state_stays_bounded():
    times = [T0 + timedelta(minutes=5 * i) for i in range(400)]  # 33 hours of buckets
    state, _ = _feed(times)
    assert len(state.buckets) == NOW_BUCKETS + HISTORY_BUCKETS
    assert len(state.seen) == SEEN_IDS


def test_no_state_reads_as_no_volume():
    reading = read(None, at=T0)
    assert (reading.negative_now, reading.negative_baseline) == (0, 0.0)


def test_the_state_round_trips_through_json():
    state, _ = _feed([T0, T0 + timedelta(hours=2)])
    back = BrandState.model_validate(json.loads(json.dumps(state.model_dump(mode="json"))))
    assert back == state
    assert read(back, at=T0 + timedelta(hours=2)) == read(state, at=T0 + timedelta(hours=2))
