"""Idle keys: which keys are past their horizon, in event time per partition."""

from datetime import timedelta

from smileback.scorer.authors import AuthorState
from smileback.scorer.baseline import BUCKET_S, BrandState
from smileback.scorer.expiry import (
    AUTHORS,
    BRANDS,
    THREADS,
    IdleKeys,
    author_time,
    brand_time,
    thread_time,
)
from smileback.scorer.threads import ThreadState

HOUR = timedelta(hours=1)


def test_keys_idle_past_the_horizon_expire_oldest_first_a_few_at_a_time():
    idle = IdleKeys(horizon=HOUR)
    for minute, key in enumerate(["a", "b", "c"]):
        idle.advance(0, minute * 60.0)
        idle.touch(0, key)
    idle.advance(0, 3600.0)  # "a" was touched exactly an hour ago: not past the horizon yet
    assert idle.expired(0, limit=10) == []
    idle.advance(0, 3600.0 + 61)
    assert idle.expired(0, limit=10) == ["a", "b"]
    assert idle.expired(0, limit=10) == []  # handed out once
    idle.advance(0, 3600.0 + 200)
    assert idle.expired(0, limit=1) == ["c"]
    assert len(idle) == 0


def test_a_touch_keeps_a_key_and_the_clock_never_goes_back():
    idle = IdleKeys(horizon=HOUR)
    idle.advance(0, 0.0)
    idle.touch(0, "hot")
    idle.touch(0, "cold")
    idle.advance(0, 3000.0)
    idle.touch(0, "hot")
    idle.advance(0, 100.0)  # a late mention does not move the clock back
    assert idle.clock(0) == 3000.0
    idle.advance(0, 3700.0)
    assert idle.expired(0, limit=10) == ["cold"]
    idle.advance(0, 6700.0)
    assert idle.expired(0, limit=10) == ["hot"]


def test_partitions_keep_their_own_clock():
    idle = IdleKeys(horizon=HOUR)
    idle.advance(0, 0.0)
    idle.touch(0, "k")
    idle.advance(1, 0.0)
    idle.touch(1, "k")
    idle.advance(1, 7200.0)  # only partition 1 has moved on
    assert idle.expired(0, limit=10) == []
    assert idle.expired(1, limit=10) == ["k"]
    assert idle.clock(0) == 0.0
    assert idle.clock(2) is None
    assert len(idle) == 1


def test_keys_touched_before_the_partition_has_a_clock_start_at_its_first_clock():
    idle = IdleKeys(horizon=HOUR)
    idle.touch(0, "restored")  # e.g. read back from a changelog after a restart
    assert idle.expired(0, limit=10) == []
    idle.advance(0, 10_000.0)
    assert idle.expired(0, limit=10) == []  # idle since 10,000, not since the epoch
    idle.advance(0, 10_000.0 + 3601)
    assert idle.expired(0, limit=10) == ["restored"]


def test_a_forgotten_key_is_not_handed_out():
    idle = IdleKeys(horizon=HOUR)
    idle.advance(0, 0.0)
    idle.touch(0, "gone")
    idle.touch(0, "kept")
    idle.forget(0, "gone")
    idle.forget(3, "never-seen")
    idle.advance(0, 7200.0)
    assert idle.expired(0, limit=10) == ["kept"]


def test_a_hot_key_touched_many_times_is_one_entry_and_expires_once():
    idle = IdleKeys(horizon=HOUR)
    for second in range(20_000):
        idle.advance(0, float(second))
        idle.touch(0, "hot")
    assert len(idle) == 1
    idle.advance(0, 20_000.0 + 3600)
    assert idle.expired(0, limit=10) == ["hot"]
    assert idle.expired(0, limit=10) == []


def test_the_horizons_are_those_of_the_state_cores():
    assert THREADS.horizon == timedelta(minutes=30)  # three 10-minute windows
    assert BRANDS.horizon == timedelta(hours=13)  # the last hour and twelve before it
    assert AUTHORS.horizon == BRANDS.horizon


def test_each_state_gives_the_newest_mention_time_it_records():
    assert thread_time(ThreadState(root_reach=0.5)) is None
    assert thread_time(ThreadState(newest=1234.5)) == 1234.5
    assert author_time(AuthorState(first_seen=10.0, last_seen=99.0)) == 99.0
    assert brand_time(BrandState(since=3)) is None
    assert brand_time(BrandState(since=3, buckets={7: 1, 5: 2})) == 7 * BUCKET_S
