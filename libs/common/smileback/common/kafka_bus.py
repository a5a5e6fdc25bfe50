"""The Bus on Apache Kafka through kafka-python."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import structlog
from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError

from smileback.common.bus import Bus, Consumer, Record
from smileback.common.errors import BusError
from smileback.common.kafka_security import (
    KafkaSecuritySettings,
    cannot_connect,
    kafka_client_options,
)

__all__ = ["PRODUCER_SETTINGS", "KafkaBus"]

log = structlog.get_logger(__name__)

_CLOSE_FLUSH_S = 10.0
_LAG_TIMEOUT_MS = 2_000  # reading the lag must not hold the consumer loop for long
# Sends kept for the next flush before the acknowledged ones are dropped: a caller that
# flushes only at its end (a replay of a whole file) would otherwise hold one per record
# (about 600 MB for a million).
_PRUNE_AT = 10_000

# The producer's kafka-python settings, besides where it connects and its compression; the
# ingest benchmark's raw produce loop uses them too, so both sides produce alike.
PRODUCER_SETTINGS: Mapping[str, object] = MappingProxyType(
    {
        "acks": "all",
        "linger_ms": 5,
        "batch_size": 64 * 1024,
        "max_in_flight_requests_per_connection": 1,  # keeps per-key order across retries
    }
)


class KafkaBus(Bus):
    """Producer with acks=all and small batches; consumers commit by hand.

    Every failure surfaces as BusError, so a caller can ride out a broker outage (see
    supervise.py). The producer retries a send until `delivery_timeout_ms` (kafka-python's
    2 minutes) runs out rather than a fixed number of times: a broker restart takes longer
    than ten quick retries, and a record given up on would be a gap in the stream.

    `flush(timeout_s)` waits for the records published since the last flush, `timeout_s` in
    all: kafka-python's own flush gives each pending batch the whole timeout in turn, so
    while batches are retried one after another it can block for minutes.
    """

    def __init__(
        self,
        bootstrap: str,
        *,
        client_id: str = "smileback",
        bootstrap_timeout_s: float = 30.0,
        compression: str | None = None,
        max_block_s: float = 60.0,
        security: KafkaSecuritySettings | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Connect the producer; BusError when no broker answers within `bootstrap_timeout_s`.

        `compression` is kafka-python's `compression_type` (gzip, lz4, ...; None: none).
        `max_block_s`: the longest a `publish` may wait for the topic's metadata or for room
        in the buffer before it fails (kafka-python's `max_block_ms`, 60 s by default); a
        caller on an event loop wants it short, since the wait blocks the loop.
        `security`: TLS and SASL of the producer and every consumer (none: PLAINTEXT).
        """
        self._bootstrap = bootstrap
        self._client_id = client_id
        self._settings = security
        self._security = kafka_client_options(security)
        self._monotonic = monotonic
        try:
            self._producer = KafkaProducer(
                bootstrap_servers=bootstrap,
                client_id=client_id,
                bootstrap_timeout_ms=int(bootstrap_timeout_s * 1000),
                compression_type=compression,
                max_block_ms=int(max_block_s * 1000),
                **PRODUCER_SETTINGS,
                **self._security,
            )
        except KafkaError as exc:
            raise cannot_connect(bootstrap, security, exc) from exc
        self._pending: list[Any] = []
        self._prune_at = _PRUNE_AT

    def publish(self, topic: str, *, key: str | None, value: bytes) -> None:
        try:
            future = self._producer.send(
                topic, key=key.encode("utf-8") if key is not None else None, value=value
            )
        except KafkaError as exc:
            raise BusError(f"publish to {topic} failed: {exc}") from exc
        self._pending.append(future)
        if len(self._pending) >= self._prune_at:
            # A failed send stays, for the flush to raise; in flight is what the producer's
            # buffer holds, so what stays is bounded too.
            self._pending = [sent for sent in self._pending if not sent.succeeded()]
            self._prune_at = max(_PRUNE_AT, 2 * len(self._pending))

    def flush(self, timeout_s: float | None = None) -> None:
        # Each record goes out within linger_ms by itself, so waiting on the futures is the
        # whole flush; one deadline bounds all of them.
        deadline = None if timeout_s is None else self._monotonic() + timeout_s
        try:
            for future in self._pending:
                left = None if deadline is None else max(deadline - self._monotonic(), 0.0)
                future.get(timeout=left)  # raises for a send that failed for good, or late
        except KafkaError as exc:
            raise BusError(f"flush failed: {exc}") from exc
        finally:
            self._pending.clear()

    def consumer(self, topics: Sequence[str], *, group: str) -> Consumer:
        try:
            consumer = KafkaConsumer(
                *topics,
                bootstrap_servers=self._bootstrap,
                client_id=self._client_id,
                group_id=group,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                # A killed member's partitions move on after 10 s, not kafka-python's 45 s.
                session_timeout_ms=10_000,
                heartbeat_interval_ms=3_000,
                **self._security,
            )
        except KafkaError as exc:
            raise cannot_connect(self._bootstrap, self._settings, exc) from exc
        return _KafkaConsumer(consumer)

    def close(self) -> None:
        """Flush for a bounded time, then close: a stop must not wait out a broker outage."""
        try:
            self.flush(timeout_s=_CLOSE_FLUSH_S)
        except BusError as exc:
            log.warning("records not acknowledged at close", error=str(exc)[:300])
        self._producer.close(timeout=5)


class _KafkaConsumer(Consumer):
    def __init__(self, consumer: KafkaConsumer) -> None:
        self._consumer = consumer

    def poll(self, *, max_records: int, timeout_s: float) -> list[Record]:
        try:
            batches = self._consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        except KafkaError as exc:
            raise BusError(f"poll failed: {exc}") from exc
        return [
            Record(r.topic, r.partition, r.offset, r.key, r.value if r.value is not None else b"")
            for records in batches.values()
            for r in records
        ]

    def commit(self) -> None:
        try:
            self._consumer.commit()
        except KafkaError as exc:
            # Also after a rebalance (the member was fenced): what was polled since the last
            # commit is delivered again to whoever owns the partitions now.
            raise BusError(f"commit failed: {exc}") from exc

    def lag(self) -> dict[tuple[str, int], int]:
        try:
            assigned = list(self._consumer.assignment())
            if not assigned:
                return {}
            # One ListOffsets request for them all; a position not known yet (just assigned,
            # no committed offset fetched) leaves its partition out until the next time.
            ends = self._consumer.end_offsets(assigned, timeout_ms=_LAG_TIMEOUT_MS)
            positions = {tp: self._consumer.position(tp, timeout_ms=_LAG_TIMEOUT_MS) for tp in ends}
            return {
                (tp.topic, tp.partition): max(0, ends[tp] - position)
                for tp, position in positions.items()
                if position is not None
            }
        except KafkaError as exc:
            raise BusError(f"reading the consumer's lag failed: {exc}") from exc

    def close(self) -> None:
        try:
            # No auto-commit on close (only `commit` decides what is done), and a bounded wait
            # to leave the group when the broker is away.
            self._consumer.close(autocommit=False, timeout_ms=5_000)
        except KafkaError as exc:
            raise BusError(f"closing the consumer failed: {exc}") from exc
