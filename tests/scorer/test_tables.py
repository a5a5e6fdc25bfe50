import json
from types import SimpleNamespace

import pytest
from faust import current_event as faust_current_event
from faust.types import TP
from hypothesis import given, settings
from hypothesis import strategies as st

from smileback.common.topics import Topics
from smileback.scorer.baseline import BrandState
from smileback.scorer.provision import by_brand_topic
from smileback.scorer.tables import (
    ChangelogRecord,
    Changelogs,
    PartitionEvent,
    TableStore,
    current_event,
    key_bytes,
)
from tests.scorer.doubles import StoreDouble, TableDouble, rocksdb_app


class _Event:
    """What a table write reads of the current event: its message's partition."""

    def __init__(self) -> None:
        self.message = SimpleNamespace(partition=0)


class _RecordingStore(StoreDouble):
    """Notes which event was current at each write."""

    def __init__(self):
        super().__init__()
        self.writes: list[tuple[str, object]] = []

    def __setitem__(self, key, value):
        self.writes.append((key, faust_current_event()))
        super().__setitem__(key, value)


def _store(table: TableDouble) -> TableStore[BrandState]:
    return TableStore(table=table, model=BrandState, changelogs=Changelogs())


def test_values_are_written_back_on_flush_as_json_bytes_and_read_back_as_models():
    table = TableDouble("brands")
    store = _store(table)
    state = BrandState(since=5, buckets={5: 2}, seen=("abc",))
    with current_event(_Event()):
        store.put("acme", state)
    assert "acme" not in table.data  # not yet written
    assert store.get("acme") == state  # but read back before the flush
    store.flush()
    assert json.loads(table.data["acme"]) == {"since": 5, "buckets": {"5": 2}, "seen": ["abc"]}
    assert store.get("acme") == state
    assert store.get("globex") is None


def test_a_flush_writes_each_key_once_under_the_event_of_its_last_put():
    recording = _RecordingStore()
    store = _store(TableDouble("brands", recording))
    first, second, third = _Event(), _Event(), _Event()
    for event, key, since in [(first, "acme", 1), (second, "globex", 2), (third, "acme", 3)]:
        with current_event(event):
            store.put(key, BrandState(since=since))
    store.flush()
    assert sorted(recording.writes, key=lambda w: w[0]) == [("acme", third), ("globex", second)]
    assert json.loads(recording["acme"])["since"] == 3
    assert faust_current_event() is None  # restored after each write
    store.flush()
    assert len(recording.writes) == 2  # nothing left to write


def test_a_put_outside_an_event_is_refused():
    store = _store(TableDouble("brands"))
    with pytest.raises(RuntimeError, match="needs a current event"):
        store.put("acme", BrandState(since=1))


def test_a_value_that_no_longer_parses_is_ignored_not_fatal():
    store = _store(TableDouble("brands", StoreDouble({"acme": b'{"since": "never"}'})))
    assert store.get("acme") is None


def test_current_event_makes_the_event_current_for_table_writes_and_restores_after():
    first, second = _Event(), _Event()
    assert faust_current_event() is None
    with current_event(first):
        assert faust_current_event() is first
        with current_event(second):
            assert faust_current_event() is second
        assert faust_current_event() is first
    assert faust_current_event() is None


class _RawEvent:
    """An event of a raw partition, as a table write on Faust's RocksDB store needs it."""

    def __init__(self, partition: int) -> None:
        self.message = SimpleNamespace(topic=Topics().raw, partition=partition)


@pytest.mark.parametrize(
    "event",
    [
        _RawEvent(partition=1),
        # The brand step handed a mention in-process: its by-brand partition, no record.
        PartitionEvent(topic=by_brand_topic("r"), partition=1),
    ],
    ids=["consumed", "stand-in"],
)
def test_on_rocksdb_a_flush_writes_the_event_s_partition_and_keeps_the_changelog_records(
    tmp_path, event
):
    app = rocksdb_app(tmp_path)
    table = app.tables["brands"]
    table.send_changelog = None  # Faust's own changelog write must not be used
    changelogs = Changelogs()
    store = TableStore(table=table, model=BrandState, changelogs=changelogs)
    rocks, key = table.data, table.data._encode_key("acme")
    rocks._db_for_partition(0).put(key, b"another partition's own")
    with current_event(event):
        store.put("acme", BrandState(since=5, buckets={5: 2}))
        store.put("acme", BrandState(since=6, buckets={6: 1}))  # the last put of a key counts
    store.flush()
    written = b'{"since":6,"buckets":{"6":1},"seen":[]}'
    topic = "r-brands-changelog"
    assert changelogs.drain() == [ChangelogRecord(topic, 1, b'"acme"', written)]
    assert rocks._db_for_partition(1).get(key) == written
    with current_event(event):
        assert store.get("acme") == BrandState(since=6, buckets={6: 1})
        store.delete("acme")
        assert store.get("acme") is None
    assert changelogs.drain() == [ChangelogRecord(topic, 1, b'"acme"', None)]  # the tombstone
    assert rocks._db_for_partition(1).get(key) is None
    assert rocks._db_for_partition(0).get(key) == b"another partition's own"  # left alone
    # Once the batch is in Kafka its last offset is where a restart reads the changelog from.
    changelogs.delivered(topic, 1, 41)
    assert rocks.persisted_offset(TP(topic, 1)) == 41
    assert rocks.persisted_offset(TP(topic, 0)) is None


def test_on_the_memory_store_a_delete_removes_the_key_and_keeps_its_tombstone():
    changelogs = Changelogs()
    table = TableDouble("brands", StoreDouble({"acme": b'{"since": 5}'}))
    store = TableStore(table=table, model=BrandState, changelogs=changelogs)
    with current_event(_Event()):
        store.delete("acme")
        with pytest.raises(KeyError):
            store.delete("acme")  # the memory store has no such key any more
    assert table.data == {}
    tombstone = ChangelogRecord("brands-changelog", 0, b'"acme"', None)
    assert changelogs.drain() == [tombstone, tombstone]
    changelogs.delivered("brands-changelog", 0, 7)
    assert table.data.persisted == {TP("brands-changelog", 0): 7}


@pytest.fixture(scope="module")
def rocks_brands(tmp_path_factory):
    """The brands table of an app on RocksDB, one for every example hypothesis runs."""
    return rocksdb_app(tmp_path_factory.mktemp("rocks")).tables["brands"]


@settings(max_examples=200)
@given(key=st.text(max_size=40))
def test_a_key_s_bytes_are_what_faust_writes_in_the_store_and_the_changelog(rocks_brands, key):
    assert key_bytes(key) == rocks_brands.data._encode_key(key)
    assert (
        key_bytes(key)
        == rocks_brands.changelog_topic.prepare_key(key, rocks_brands.key_serializer)[0]
    )
