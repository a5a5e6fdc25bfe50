"""The message bus seam: Kafka in clusters, in-process for the demo and unit tests.

Contract: `publish` is asynchronous and ordered per key; `flush` returns once
every published record is acknowledged. A consumer delivers records after its
group's committed position; `commit` stores the position of everything polled,
so a handler must flush its outputs before the loop commits (at-least-once).
"""

from __future__ import annotations

import threading
import zlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Bus", "Consumer", "InMemoryBus", "Record"]


@dataclass(frozen=True)
class Record:
    """One message as consumed."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes


class Consumer(ABC):
    """A group member reading from some topics."""

    @abstractmethod
    def poll(self, *, max_records: int, timeout_s: float) -> list[Record]:
        """Up to `max_records` records, waiting at most `timeout_s` for the first."""

    @abstractmethod
    def commit(self) -> None:
        """Mark every polled record as done for the group."""

    @abstractmethod
    def lag(self) -> dict[tuple[str, int], int]:
        """Per assigned (topic, partition), the records after this consumer's position up to
        the partition's end; empty while the consumer owns no partition."""

    @abstractmethod
    def close(self) -> None:
        """Leave the group."""


class Bus(ABC):
    """Publishes records and hands out consumers."""

    @abstractmethod
    def publish(self, topic: str, *, key: str | None, value: bytes) -> None:
        """Queue one record for sending."""

    @abstractmethod
    def flush(self, timeout_s: float | None = None) -> None:
        """Block until every queued record is acknowledged."""

    @abstractmethod
    def consumer(self, topics: Sequence[str], *, group: str) -> Consumer:
        """A consumer in `group` subscribed to `topics`."""

    @abstractmethod
    def close(self) -> None:
        """Flush and release connections."""


class InMemoryBus(Bus):
    """A thread-safe bus held in memory, with partitions chosen by key as Kafka would."""

    def __init__(self, partitions: dict[str, int] | None = None) -> None:
        self._partitions = partitions or {}
        self._logs: dict[tuple[str, int], list[Record]] = {}
        self._committed: dict[tuple[str, str, int], int] = {}
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)

    def publish(self, topic: str, *, key: str | None, value: bytes) -> None:
        key_bytes = key.encode("utf-8") if key is not None else None
        count = self._partitions.get(topic, 1)
        partition = zlib.crc32(key_bytes) % count if key_bytes is not None else 0
        with self._arrived:
            log = self._logs.setdefault((topic, partition), [])
            log.append(Record(topic, partition, len(log), key_bytes, value))
            self._arrived.notify_all()

    def flush(self, timeout_s: float | None = None) -> None:
        """Nothing is ever in flight."""

    def consumer(self, topics: Sequence[str], *, group: str) -> Consumer:
        return _InMemoryConsumer(self, list(topics), group)

    def close(self) -> None:
        """Nothing to release."""

    def records(self, topic: str) -> list[Record]:
        """Every record of `topic`, partition by partition (for tests and summaries)."""
        with self._lock:
            return [r for (t, _), log in sorted(self._logs.items()) if t == topic for r in log]

    def _read(
        self, topics: list[str], group: str, positions: dict[tuple[str, int], int], max_records: int
    ) -> list[Record]:
        out: list[Record] = []
        for (topic, partition), log in sorted(self._logs.items()):
            if topic not in topics:
                continue
            start = positions.get(
                (topic, partition), self._committed.get((group, topic, partition), 0)
            )
            taken = log[start : start + max_records - len(out)]
            out.extend(taken)
            positions[(topic, partition)] = start + len(taken)
            if len(out) >= max_records:
                break
        return out


class _InMemoryConsumer(Consumer):
    def __init__(self, bus: InMemoryBus, topics: list[str], group: str) -> None:
        self._bus = bus
        self._topics = topics
        self._group = group
        self._positions: dict[tuple[str, int], int] = {}

    def poll(self, *, max_records: int, timeout_s: float) -> list[Record]:
        with self._bus._arrived:
            records = self._bus._read(self._topics, self._group, self._positions, max_records)
            if not records and timeout_s > 0:
                self._bus._arrived.wait(timeout_s)
                records = self._bus._read(self._topics, self._group, self._positions, max_records)
        return records

    def commit(self) -> None:
        with self._bus._lock:
            for (topic, partition), offset in self._positions.items():
                self._bus._committed[(self._group, topic, partition)] = offset

    def lag(self) -> dict[tuple[str, int], int]:
        # Every partition of its topics is this consumer's: the in-memory bus has no group.
        with self._bus._lock:
            return {
                (topic, partition): len(log)
                - self._positions.get(
                    (topic, partition),
                    self._bus._committed.get((self._group, topic, partition), 0),
                )
                for (topic, partition), log in sorted(self._bus._logs.items())
                if topic in self._topics
            }

    def close(self) -> None:
        self._positions.clear()
