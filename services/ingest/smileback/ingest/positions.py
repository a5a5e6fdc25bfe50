"""Where a streaming source resumes: its position, kept in Kafka so any machine can go on.

Contract: `load` returns the latest position saved under `key` (None: never saved);
`save` returns once the position is durable. A source saves a position only after the
mentions it covers are durable too, so a restart re-reads at worst what was already
written (duplicates are dropped downstream by mention id) and never skips anything.

`KafkaPositions` keeps one record per key in the compacted positions topic: the value is
JSON `{"position": "..."}`, and compaction leaves the latest record of each key. Loading
reads the topic from its start to the end offsets taken at the start of the read.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from smileback.common.bus import Bus
from smileback.common.errors import BusError
from smileback.common.kafka_security import (
    KafkaSecuritySettings,
    cannot_connect,
    kafka_client_options,
)

__all__ = ["KafkaPositions", "Positions"]

_LOAD_TIMEOUT_S = 30.0


class Positions(ABC):
    """Resume positions by source identity (`mastodon:<host>:<stream>`, `jetstream:<url>`)."""

    @abstractmethod
    def load(self, key: str) -> str | None:
        """The latest position saved under `key`."""

    @abstractmethod
    def save(self, key: str, position: str, *, timeout_s: float | None = None) -> None:
        """Make `position` the one `key` resumes from; BusError if it is not durable in time."""


class KafkaPositions(Positions):
    """Positions in a compacted topic; written through `bus` (the sink's own producer)."""

    def __init__(
        self,
        *,
        bus: Bus,
        bootstrap: str,
        topic: str,
        security: KafkaSecuritySettings | None = None,
    ) -> None:
        self._bus = bus
        self._bootstrap = bootstrap
        self._settings = security
        self._security = kafka_client_options(security)
        self._topic = topic

    def load(self, key: str) -> str | None:
        try:
            consumer = KafkaConsumer(
                bootstrap_servers=self._bootstrap,
                client_id="smileback-ingest-positions",
                enable_auto_commit=False,
                **self._security,
            )
        except KafkaError as exc:
            raise cannot_connect(self._bootstrap, self._settings, exc) from exc
        try:
            return _latest(consumer, topic=self._topic, key=key.encode())
        except KafkaError as exc:
            raise BusError(f"reading {self._topic} failed: {exc}") from exc
        finally:
            consumer.close()

    def save(self, key: str, position: str, *, timeout_s: float | None = None) -> None:
        self._bus.publish(self._topic, key=key, value=json.dumps({"position": position}).encode())
        self._bus.flush(timeout_s)


def _latest(consumer: KafkaConsumer, *, topic: str, key: bytes) -> str | None:
    numbers = consumer.partitions_for_topic(topic)
    if not numbers:
        raise BusError(f"no topic {topic}: create it (deploy/kafka/kafka.sh topics)")
    partitions = [TopicPartition(topic, n) for n in sorted(numbers)]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    ends = consumer.end_offsets(partitions)
    found: str | None = None
    deadline = time.monotonic() + _LOAD_TIMEOUT_S
    while any(consumer.position(p) < ends[p] for p in partitions):
        if time.monotonic() > deadline:
            raise BusError(f"reading {topic} to its end took over {_LOAD_TIMEOUT_S:g} s")
        for records in consumer.poll(timeout_ms=500).values():
            for record in records:
                if record.key == key:
                    found = _position(record.value)
    return found


def _position(value: bytes | None) -> str | None:
    # A tombstone (None) forgets the key; anything unreadable is treated the same way, so
    # the source starts from now rather than from a garbled position.
    try:
        decoded = json.loads(value) if value is not None else None
    except ValueError:
        return None
    position = decoded.get("position") if isinstance(decoded, dict) else None
    return position if isinstance(position, str) else None
