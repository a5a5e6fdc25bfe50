import pytest

from smileback.ingest.dedupe import SeenIds


def test_an_id_is_new_once_then_seen():
    seen = SeenIds()
    assert seen.seen_before("a") is False
    assert seen.seen_before("a") is True
    assert seen.seen_before("b") is False
    assert len(seen) == 2


def test_the_least_recently_seen_id_is_evicted_first():
    seen = SeenIds(capacity=3)
    for mention_id in ("a", "b", "c"):
        seen.seen_before(mention_id)
    assert seen.seen_before("a") is True  # now the most recent: "b" is the oldest
    assert seen.seen_before("d") is False  # evicts "b"
    assert len(seen) == 3
    assert seen.seen_before("c") is True
    assert seen.seen_before("a") is True
    assert seen.seen_before("b") is False  # forgotten, so new again


def test_memory_stays_bounded():
    seen = SeenIds(capacity=100)
    for i in range(10_000):
        seen.seen_before(str(i))
    assert len(seen) == 100
    assert seen.seen_before("9999") is True
    assert seen.seen_before("0") is False


def test_capacity_must_be_positive():
    with pytest.raises(ValueError, match="capacity must be at least 1"):
        SeenIds(capacity=0)
