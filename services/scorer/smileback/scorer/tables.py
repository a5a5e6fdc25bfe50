"""Faust tables as state stores, and the event context a table write needs inside a batch.

A Faust table write goes to the changelog partition of the *current event*, which Faust
finds through a context variable its stream iterator sets. Inside `take_events(...)` the
loop body runs outside that iterator, so a plain write fails with "Cannot modify table
key from outside of stream iteration" (faust-streaming issue #497). `current_event(event)`
sets the same variable for one event of the batch, so each state update is written exactly
as it would be in a plain `async for event in stream` loop.

A `TableStore` writes back once per batch: `put` keeps the value with the event that was
current, later reads in the batch see it, and `flush` writes each key's last value under
that event. A hot thread or a busy brand updated by hundreds of mentions of one batch then
costs one changelog record instead of hundreds. Nothing is lost by waiting: the batch's
offsets are counted as processed only after its outputs are sent, which is after `flush`
(see app.py), and every key is written on the partition of an event that wrote it, the
partition it always lives on.

Values are the models' JSON, as bytes (the tables' value type is `bytes`): pydantic
writes and reads it in one call each, where Faust's JSON codec encoded every write twice in
Python, once for the changelog and once for the store. The bytes are the JSON Faust wrote
before, so changelogs and data dirs of earlier versions read back the same. On Faust's
RocksDB store a read is one lookup in the event's partition database and a delete removes
the key there alone: through the table's mapping methods a read looked the key up twice (a
membership test, then the value) and a delete wrote a tombstone into every partition's
database.

A flush writes the worker's own store and keeps each key's changelog record, and a delete
its tombstone, in the `Changelogs` the app gives every table, for the agent to send after
the batch, a partition's records as one record batch (sending.py): through Faust's table,
every write went to the producer alone as a future message with callbacks, a record per
mention for the authors table. The records are what Faust writes (the key as its JSON key
serializer writes it, `key_bytes`; the value's bytes as they are), and once a batch of them
is delivered the store notes its last offset, as Faust does after each record, so a
restarted worker reads its changelogs from there.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

import faust
import structlog
from faust.stores.rocksdb import Store as RocksStore
from faust.streams import _current_event
from faust.streams import current_event as event_now
from faust.types import TP, TableT
from faust.types.stores import StoreT
from pydantic import BaseModel, ValidationError

__all__ = [
    "ChangelogRecord",
    "Changelogs",
    "PartitionEvent",
    "TableStore",
    "current_event",
    "key_bytes",
]

M = TypeVar("M", bound=BaseModel)
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ChangelogRecord:
    """One table write for its changelog: the key's bytes, the value's (None: a tombstone)."""

    topic: str
    partition: int
    key: bytes
    value: bytes | None


class Changelogs:
    """The changelog records a batch's table writes made, in order, until the agent sends
    them; and, per changelog topic, where its table's store notes a delivered offset."""

    def __init__(self) -> None:
        self._records: list[ChangelogRecord] = []
        self._persisted: dict[str, Callable[[TP, int], None]] = {}

    def table(self, topic: str, *, persisted: Callable[[TP, int], None]) -> None:
        """Register a table's changelog `topic` and its store's offset setter."""
        self._persisted[topic] = persisted

    def add(self, record: ChangelogRecord) -> None:
        self._records.append(record)

    def drain(self) -> list[ChangelogRecord]:
        """Everything added since the last drain, in order."""
        records, self._records = self._records, []
        return records

    def delivered(self, topic: str, partition: int, offset: int) -> None:
        """A changelog partition's records are in Kafka up to `offset`."""
        self._persisted[topic](TP(topic, partition), offset)


_PROBE = 'caf\u00e9 "\U0001f64c"\\'


def key_bytes(key: str) -> bytes:
    """A table key as Faust's JSON key serializer writes it, in the store and the changelog
    (faust-streaming's codec is the standard library's `json`). Through Faust's serializer
    registry the keys of a mention's three states cost a twentieth of the scorer; a
    TableStore on RocksDB checks at start that Faust still writes what this does."""
    return json.dumps(key).encode()


class TableStore(Generic[M]):
    """State values in a changelog-backed Faust table, stored as their JSON bytes, written
    back once per batch (`flush`) to the worker's own store, their changelog records kept
    in `changelogs` for the agent to send."""

    def __init__(self, *, table: TableT[str, Any], model: type[M], changelogs: Changelogs) -> None:
        self._table = table
        self._model = model
        # Each kept value with the event current at its put, and that event's partition.
        self._pending: dict[str, tuple[M, weakref.ReferenceType[Any], int]] = {}
        self._store = cast(StoreT[Any, Any], table.data)
        self._rocks = self._store if isinstance(self._store, RocksStore) else None
        if self._rocks is not None and self._rocks._encode_key(_PROBE) != key_bytes(_PROBE):
            raise RuntimeError("Faust's table key encoding is no longer JSON as key_bytes has it")
        self._changelogs = changelogs
        self._topic = table.changelog_topic.get_topic_name()
        changelogs.table(self._topic, persisted=self._store.set_persisted_offset)

    def get(self, key: str) -> M | None:
        """The value under `key`, unflushed writes included; a value that no longer parses
        is dropped, not fatal."""
        pending = self._pending.get(key)
        if pending is not None:
            return pending[0]
        raw = self._read(key)
        if raw is None:
            return None
        try:
            value: M = self._model.__pydantic_validator__.validate_json(raw)
        except ValidationError as exc:
            log.warning("unreadable state ignored", table=self._table.name, key=key, error=str(exc))
            return None
        return value

    def put(self, key: str, value: M) -> None:
        """Keep `value` for the next `flush` (needs a current event: see `current_event`)."""
        event = _current_event.get(None)
        current = event() if event is not None else None
        if event is None or current is None:
            raise RuntimeError(f"a write to table {self._table.name!r} needs a current event")
        self._pending[key] = (value, event, current.message.partition)

    def delete(self, key: str) -> None:
        """Delete `key` now, an unflushed write of it included, and keep its tombstone for
        the batch's changelog records (needs a current event); a KeyError when the memory
        store has no such key (RocksDB deletes a missing key quietly)."""
        self._pending.pop(key, None)
        event = event_now()
        if event is None:
            raise RuntimeError(f"deleting from table {self._table.name!r} needs a current event")
        partition = event.message.partition
        raw_key = key_bytes(key)
        self._changelogs.add(ChangelogRecord(self._topic, partition, raw_key, None))
        if self._rocks is None:
            del self._store[key]
            return
        self._rocks._db_for_partition(partition).delete(raw_key)

    def flush(self) -> None:
        """Write every kept value to the worker's own store, in the partition of the event
        that was current at its put, and keep its changelog record."""
        pending, self._pending = self._pending, {}
        for key, (value, event, partition) in pending.items():
            raw = value.__pydantic_serializer__.to_json(value)
            raw_key = key_bytes(key)
            token = _current_event.set(event)
            try:
                if self._rocks is None:
                    self._store[key] = raw
                else:
                    self._rocks._set(raw_key, raw)
                self._changelogs.add(ChangelogRecord(self._topic, partition, raw_key, raw))
            finally:
                _current_event.reset(token)

    def _read(self, key: str) -> bytes | None:
        # RocksDB: one lookup, in the current event's partition database (as Faust's own
        # read does); the memory store is a mapping.
        if self._rocks is None:
            raw: bytes | None = self._store.get(key)
            return raw
        found: bytes | None = self._rocks._get(key_bytes(key))
        return found


@dataclass(frozen=True)
class _Place:
    topic: str
    partition: int


class PartitionEvent:
    """What a table write reads of the current event (its topic and partition), for state
    updated in a partition without a record consumed from it: the thread step hands its
    mentions to the brand step in-process when the worker owns their by-brand partition
    (batches.py). Current while its writes are kept, so the batch holds it until `flush`."""

    def __init__(self, *, topic: str, partition: int) -> None:
        self.message = _Place(topic, partition)


@contextmanager
def current_event(event: faust.EventT[Any] | PartitionEvent) -> Iterator[None]:
    """Make `event` the current one, so table writes go to its partition's changelog."""
    # A stand-in is read only by attribute, as Faust reads an event's message.
    token = _current_event.set(weakref.ref(cast(faust.EventT[Any], event)))
    try:
        yield
    finally:
        _current_event.reset(token)
