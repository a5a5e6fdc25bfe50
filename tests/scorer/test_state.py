from smileback.scorer.state import MemoryStore, digest, remember


def test_memory_store_drops_the_least_recently_used_key_past_its_bound():
    store: MemoryStore[int] = MemoryStore(max_keys=2)
    store.put("a", 1)
    store.put("b", 2)
    assert store.get("a") == 1  # "b" is now the least recently used
    store.put("c", 3)
    assert len(store) == 2
    assert store.get("b") is None
    assert (store.get("a"), store.get("c")) == (1, 3)
    store.put("a", 4)
    assert store.get("a") == 4


def test_digest_is_short_stable_and_distinct():
    assert digest("mastodon:1099") == digest("mastodon:1099")
    assert len(digest("x" * 500)) == 12
    assert len({digest(f"id{i}") for i in range(10_000)}) == 10_000


def test_remember_keeps_the_newest_items():
    assert remember((), "a", limit=2) == ("a",)
    assert remember(("a", "b"), "c", limit=2) == ("b", "c")
