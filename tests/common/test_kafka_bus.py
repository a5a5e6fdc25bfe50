"""KafkaBus.flush waits `timeout_s` in all, however many records are still pending; the
sends it waits for are kept within a bound, failed ones never dropped."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from kafka.errors import KafkaTimeoutError

from smileback.common import kafka_bus
from smileback.common.errors import BusError
from smileback.common.kafka_bus import KafkaBus


@dataclass
class Clock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Future:
    """A send that Kafka acknowledges at `done_at`; waiting moves the clock."""

    clock: Clock
    done_at: float
    error: Exception | None = None

    def succeeded(self) -> bool:
        return self.clock.now >= self.done_at and self.error is None

    def get(self, timeout: float | None = None) -> None:
        if timeout is not None and self.clock.now + timeout < self.done_at:
            self.clock.now += timeout
            raise KafkaTimeoutError(f"Timeout after waiting for {timeout} secs.")
        self.clock.now = max(self.clock.now, self.done_at)
        if self.error is not None:
            raise self.error


@dataclass
class Producer:
    """Acknowledges the n-th record n seconds after the clock's start, one after another,
    as a producer retrying batches after a broker restart does."""

    clock: Clock
    sent: list[Future] = field(default_factory=list)

    def send(self, topic: str, *, key: bytes | None, value: bytes) -> Future:
        future = Future(self.clock, done_at=float(len(self.sent) + 1))
        self.sent.append(future)
        return future

    def flush(self, timeout: float | None = None) -> None:
        # kafka-python's: each pending batch may take the whole timeout in turn.
        for future in self.sent:
            future.get(timeout)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()

    def producer(**config: Any) -> Producer:
        return Producer(clock)

    monkeypatch.setattr(kafka_bus, "KafkaProducer", producer)
    return clock


def test_a_flush_gives_up_once_its_timeout_is_spent_in_all(clock: Clock) -> None:
    bus = KafkaBus("127.0.0.1:9092", monotonic=clock)
    for n in range(5):
        bus.publish("raw", key=f"k{n}", value=b"x")
    with pytest.raises(BusError, match="flush failed"):
        bus.flush(timeout_s=2.5)
    assert clock.now == 2.5


def test_a_flush_returns_once_every_record_is_acknowledged(clock: Clock) -> None:
    bus = KafkaBus("127.0.0.1:9092", monotonic=clock)
    for n in range(3):
        bus.publish("raw", key=f"k{n}", value=b"x")
    bus.flush(timeout_s=3.5)
    assert clock.now == 3.0


def test_acknowledged_sends_are_not_kept_past_the_bound_but_a_failed_one_is(
    clock: Clock,
) -> None:
    bus = KafkaBus("127.0.0.1:9092", monotonic=clock)
    producer = bus._producer
    bus.publish("raw", key="first", value=b"x")
    producer.sent[0].error = KafkaTimeoutError("expired in the producer's buffer")
    total = 3 * kafka_bus._PRUNE_AT
    for n in range(total - 1):
        clock.now = float(n + 1)  # each earlier send acknowledged by now
        bus.publish("raw", key=f"k{n}", value=b"x")
    assert len(bus._pending) < kafka_bus._PRUNE_AT  # not one per record published
    with pytest.raises(BusError, match="expired in the producer's buffer"):
        bus.flush(timeout_s=1.0)
