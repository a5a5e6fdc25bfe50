"""A brand's mentions spread over shards by author, and the view of the other shards' states."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smileback.scorer.baseline import BrandState, merge, observe, read
from smileback.scorer.shard_view import BrandShardView
from smileback.scorer.shards import brand_key, brand_of, sibling_keys
from tests.support.builders import T0
from tests.support.infra import free_ports


def test_one_shard_keys_by_the_brand_alone() -> None:
    assert {brand_key(brand="acme", who=f"a{i}", shards=1) for i in range(50)} == {"acme"}


def test_an_author_always_lands_in_the_same_shard_and_authors_spread_over_all() -> None:
    keys = [brand_key(brand="acme", who=f"author-{i}", shards=4) for i in range(4000)]
    assert keys[:100] == [brand_key(brand="acme", who=f"author-{i}", shards=4) for i in range(100)]
    counts = Counter(keys)
    assert set(counts) == {"acme", *sibling_keys("acme", shards=4)}
    assert all(800 <= n <= 1200 for n in counts.values()), counts  # about a quarter each
    assert {brand_of(key) for key in counts} == {"acme"}


def test_the_siblings_of_a_shard_are_the_brand_s_other_shards() -> None:
    every = {"acme", *sibling_keys("acme", shards=3)}
    assert len(every) == 3
    for key in every:
        assert set(sibling_keys(key, shards=3)) == every - {key}
    assert sibling_keys("acme", shards=1) == []


@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 13 * 60), st.booleans()),
        min_size=1,
        max_size=80,
    ),
    st.integers(0, 13 * 60),
)
def test_the_shards_merged_read_as_one_brand_that_counted_everything(
    mentions: list[tuple[int, int, bool]], reading_minute: int
) -> None:
    whole: BrandState | None = None
    shards: dict[int, BrandState] = {}
    for n, (shard, minute, negative) in enumerate(mentions):
        at = T0 + timedelta(minutes=minute)
        whole, _ = observe(whole, mention_id=f"m{n}", at=at, negative=negative)
        shards[shard], _ = observe(shards.get(shard), mention_id=f"m{n}", at=at, negative=negative)
    at = T0 + timedelta(minutes=reading_minute)
    assert read(merge(list(shards.values())), at=at) == read(whole, at=at)


def test_a_merge_of_nothing_is_no_state() -> None:
    assert merge([]) is None


def _record(state: BrandState | None) -> bytes | None:
    return None if state is None else state.model_dump_json().encode()


def test_the_view_keeps_each_key_s_latest_state_and_forgets_a_deleted_one() -> None:
    view = BrandShardView(bootstrap="unused:9092", topic="t-brands-changelog", shards=3)
    one, two = BrandState(since=1, buckets={1: 1}), BrandState(since=1, buckets={1: 2})
    other = sibling_keys("acme", shards=3)
    view.apply(json.dumps(other[0]).encode(), _record(one))
    view.apply(json.dumps(other[0]).encode(), _record(two))
    view.apply(json.dumps(other[1]).encode(), _record(one))
    view.apply(json.dumps("globex").encode(), _record(one))
    assert view.siblings("acme") == [two, one]
    view.apply(json.dumps(other[1]).encode(), None)  # expired: a tombstone
    assert view.siblings("acme") == [two]
    assert view.siblings(other[0]) == []  # its own state is not a sibling's


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (b"not json", b"{}"),
        (b"17", b'{"since": 1}'),  # not a string key
        (b'"acme\\u00001"', b'{"since": "soon"}'),
        (b'"acme\\u00001"', b"\xff\xfe"),
        (None, b'{"since": 1}'),
    ],
)
def test_a_record_the_view_cannot_read_is_skipped(key: bytes | None, value: bytes) -> None:
    view = BrandShardView(bootstrap="unused:9092", topic="t-brands-changelog", shards=2)
    view.apply(key, value)
    assert view.siblings("acme") == []


def test_the_view_outlives_a_broker_it_cannot_reach_and_stops_when_told() -> None:
    (port,) = free_ports(count=1)  # nothing listens there
    view = BrandShardView(bootstrap=f"127.0.0.1:{port}", topic="t-brands-changelog", shards=2)
    view.start()
    time.sleep(3.0)  # long enough to fail a connection and start over
    assert view.running()
    view.stop()
    deadline = time.monotonic() + 60  # its current call to the broker gives up first
    while view.running():
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert view.siblings("acme") == []
