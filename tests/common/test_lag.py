"""A consumer's lag per partition on /metrics, read at most every few seconds, and its
readiness: it owns partitions and keeps polling them."""

from __future__ import annotations

from prometheus_client import REGISTRY

from smileback.common.bus import Consumer, InMemoryBus, Record
from smileback.common.errors import BusError
from smileback.common.lag import ConsumerWatch
from smileback.common.loop import pump
from tests.support.clock import Ticks


def _lag(group: str, topic: str, partition: int) -> float | None:
    return REGISTRY.get_sample_value(
        "smileback_consumer_lag_records",
        {"group": group, "topic": topic, "partition": str(partition)},
    )


class _Counting(Consumer):
    """A consumer whose lag the test sets, counting how often it is read."""

    def __init__(self) -> None:
        self.lags: dict[tuple[str, int], int] = {}
        self.reads = 0
        self.fail = False

    def poll(self, *, max_records: int, timeout_s: float) -> list[Record]:
        return []

    def commit(self) -> None:
        pass

    def lag(self) -> dict[tuple[str, int], int]:
        self.reads += 1
        if self.fail:
            raise BusError("broker away")
        return dict(self.lags)

    def close(self) -> None:
        pass


def test_the_in_memory_consumer_lags_by_what_it_has_not_polled() -> None:
    bus = InMemoryBus({"t": 2})
    for n in range(6):
        bus.publish("t", key=f"k{n}", value=b"x")
    consumer = bus.consumer(["t"], group="g")
    total = sum(consumer.lag().values())
    assert total == 6
    consumer.poll(max_records=4, timeout_s=0)
    assert sum(consumer.lag().values()) == 2


def test_the_gauges_follow_what_a_pumped_consumer_has_left() -> None:
    bus = InMemoryBus({"test-lag-topic": 1})
    for n in range(5):
        bus.publish("test-lag-topic", key="k", value=str(n).encode())
    consumer = bus.consumer(["test-lag-topic"], group="test-lag-pumped")
    ticks = Ticks()
    watch = ConsumerWatch(group="test-lag-pumped", every_s=5.0, monotonic=ticks)
    pump(consumer=consumer, bus=bus, handler=lambda records: None, max_records=2)
    watch.observe(consumer)
    assert _lag("test-lag-pumped", "test-lag-topic", 0) == 3
    assert watch.problem() is None


def test_the_lag_is_read_at_most_every_interval_not_per_poll() -> None:
    ticks, consumer = Ticks(), _Counting()
    consumer.lags = {("t", 0): 10}
    watch = ConsumerWatch(group="test-lag-interval", every_s=5.0, monotonic=ticks)
    for _ in range(100):
        watch.observe(consumer)
        ticks.now += 0.01
    assert consumer.reads == 1
    consumer.lags = {("t", 0): 4}
    ticks.now += 5.0
    watch.observe(consumer)
    assert consumer.reads == 2
    assert _lag("test-lag-interval", "t", 0) == 4


def test_a_partition_the_consumer_lost_leaves_the_gauges() -> None:
    ticks, consumer = Ticks(), _Counting()
    watch = ConsumerWatch(group="test-lag-lost", every_s=1.0, monotonic=ticks)
    consumer.lags = {("t", 0): 1, ("t", 1): 2}
    watch.observe(consumer)
    consumer.lags = {("t", 1): 5}
    ticks.now += 1.0
    watch.observe(consumer)
    assert (_lag("test-lag-lost", "t", 0), _lag("test-lag-lost", "t", 1)) == (None, 5)
    watch.forget()
    assert _lag("test-lag-lost", "t", 1) is None


def test_a_failed_reading_keeps_the_last_values() -> None:
    ticks, consumer = Ticks(), _Counting()
    watch = ConsumerWatch(group="test-lag-failed", every_s=1.0, monotonic=ticks)
    consumer.lags = {("t", 0): 7}
    watch.observe(consumer)
    consumer.fail = True
    ticks.now += 1.0
    watch.observe(consumer)
    assert _lag("test-lag-failed", "t", 0) == 7


def test_ready_only_while_it_owns_partitions_and_polls_them() -> None:
    ticks, consumer = Ticks(), _Counting()
    watch = ConsumerWatch(group="test-lag-ready", every_s=1.0, stale_s=30.0, monotonic=ticks)
    assert watch.problem() == "not polling yet"
    watch.observe(consumer)
    assert watch.problem() == "no partitions assigned"
    consumer.lags = {("t", 0): 0}
    ticks.now += 1.0
    watch.observe(consumer)
    assert watch.problem() is None
    ticks.now += 31.0  # the loop is stuck in a batch, or blocked
    assert watch.problem() == "not polled for 31 s"
