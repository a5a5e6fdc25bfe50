import threading
import time

import pytest

from smileback.common.bus import InMemoryBus
from smileback.common.loop import pump


def _fill(bus, n, topic="t", keys=("a", "b", "c")):
    for i in range(n):
        bus.publish(topic, key=keys[i % len(keys)], value=f"{i}".encode())


def test_records_with_one_key_stay_in_one_partition_in_order():
    bus = InMemoryBus({"t": 4})
    _fill(bus, 30)
    by_key: dict[bytes, set[int]] = {}
    for r in bus.records("t"):
        by_key.setdefault(r.key, set()).add(r.partition)
    assert all(len(parts) == 1 for parts in by_key.values())
    consumer = bus.consumer(["t"], group="g")
    seen = consumer.poll(max_records=100, timeout_s=0)
    values_a = [int(r.value) for r in seen if r.key == b"a"]
    assert values_a == sorted(values_a)
    assert len(values_a) == 10


def test_uncommitted_records_are_delivered_again_to_the_group():
    bus = InMemoryBus()
    _fill(bus, 5)
    first = bus.consumer(["t"], group="g")
    assert len(first.poll(max_records=3, timeout_s=0)) == 3
    first.close()  # crashed before commit
    second = bus.consumer(["t"], group="g")
    assert [r.value for r in second.poll(max_records=10, timeout_s=0)] == [
        b"0",
        b"1",
        b"2",
        b"3",
        b"4",
    ]


def test_committed_position_survives_a_new_consumer_and_groups_are_independent():
    bus = InMemoryBus()
    _fill(bus, 5)
    c = bus.consumer(["t"], group="g")
    c.poll(max_records=2, timeout_s=0)
    c.commit()
    assert [r.value for r in bus.consumer(["t"], group="g").poll(max_records=10, timeout_s=0)] == [
        b"2",
        b"3",
        b"4",
    ]
    assert len(bus.consumer(["t"], group="other").poll(max_records=10, timeout_s=0)) == 5


def test_poll_waits_for_a_record_published_from_another_thread():
    bus = InMemoryBus()
    consumer = bus.consumer(["t"], group="g")
    timer = threading.Timer(0.05, lambda: bus.publish("t", key=None, value=b"late"))
    timer.start()
    started = time.monotonic()
    records = consumer.poll(max_records=1, timeout_s=5)
    assert [r.value for r in records] == [b"late"]
    assert time.monotonic() - started < 5


def test_pump_commits_only_after_the_handler_succeeds():
    bus = InMemoryBus()
    _fill(bus, 4)
    handled: list[bytes] = []

    def failing(records):
        raise RuntimeError("database down")

    consumer = bus.consumer(["t"], group="g")
    with pytest.raises(RuntimeError, match="database down"):
        pump(consumer=consumer, bus=bus, handler=failing)
    retry = bus.consumer(["t"], group="g")
    assert (
        pump(consumer=retry, bus=bus, handler=lambda rs: handled.extend(r.value for r in rs)) == 4
    )
    assert handled == [b"0", b"1", b"2", b"3"]
    assert pump(consumer=bus.consumer(["t"], group="g"), bus=bus, handler=handled.extend) == 0
