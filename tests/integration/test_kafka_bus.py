"""KafkaBus honours the Bus contract on the real broker: order per key, commit after handling,
redelivery of what was not committed, the consumer's lag per partition, and a clear BusError
when the broker is unreachable."""

from __future__ import annotations

import uuid

import pytest

from smileback.common.errors import BusError
from smileback.common.kafka_bus import KafkaBus
from smileback.common.topics import Topics
from tests.support.infra import ensure_topics, free_ports


@pytest.fixture
def topics(kafka_bootstrap):
    prefix = f"bus{uuid.uuid4().hex[:8]}."
    ensure_topics(bootstrap=kafka_bootstrap, prefix=prefix)
    return Topics(prefix=prefix)


def _poll_all(consumer, *, expect, rounds=60):
    records = []
    for _ in range(rounds):
        records.extend(consumer.poll(max_records=500, timeout_s=0.5))
        if len(records) >= expect:
            break
    return records


def test_published_records_arrive_in_order_per_key_and_commit_sticks(kafka_bootstrap, topics):
    bus = KafkaBus(kafka_bootstrap)
    try:
        for i in range(40):
            bus.publish(topics.raw, key=f"root-{i % 4}", value=f"{i}".encode())
        bus.flush(timeout_s=30)

        first = bus.consumer([topics.raw], group="g1")
        records = _poll_all(first, expect=40)
        assert len(records) == 40
        for key in {r.key for r in records}:
            values = [int(r.value) for r in records if r.key == key]
            assert values == sorted(values)
            assert len({r.partition for r in records if r.key == key}) == 1
        first.commit()
        first.close()

        bus.publish(topics.raw, key="root-0", value=b"40")
        bus.flush(timeout_s=30)
        again = bus.consumer([topics.raw], group="g1")
        assert [r.value for r in _poll_all(again, expect=1)] == [b"40"]
        again.close()
    finally:
        bus.close()


def test_records_not_committed_are_delivered_again(kafka_bootstrap, topics):
    bus = KafkaBus(kafka_bootstrap)
    try:
        for i in range(5):
            bus.publish(topics.dlq, key=None, value=f"{i}".encode())
        bus.flush(timeout_s=30)
        crashed = bus.consumer([topics.dlq], group="g2")
        assert len(_poll_all(crashed, expect=5)) == 5
        crashed.close()  # no commit: as if the process died mid-batch
        retry = bus.consumer([topics.dlq], group="g2")
        assert sorted(r.value for r in _poll_all(retry, expect=5)) == [b"0", b"1", b"2", b"3", b"4"]
        retry.close()
    finally:
        bus.close()


def test_the_lag_counts_what_the_consumer_has_not_read_per_assigned_partition(
    kafka_bootstrap, topics
):
    bus = KafkaBus(kafka_bootstrap)
    try:
        for i in range(30):
            bus.publish(topics.raw, key=f"root-{i % 3}", value=f"{i}".encode())
        bus.flush(timeout_s=30)
        consumer = bus.consumer([topics.raw], group="g-lag")
        assert consumer.lag() == {}  # no partition before it joined its group
        records = []
        for _ in range(12):  # the first polls may only join the group
            records = consumer.poll(max_records=10, timeout_s=5)
            if records:
                break
        lag = consumer.lag()
        assert {topic for topic, _ in lag} == {topics.raw}
        assert sum(lag.values()) == 30 - len(records)
        _poll_all(consumer, expect=30 - len(records))
        assert sum(consumer.lag().values()) == 0
        consumer.close()
    finally:
        bus.close()


def test_an_unreachable_broker_is_a_clear_bus_error():
    (port,) = free_ports(count=1)  # nothing listens there
    with pytest.raises(BusError, match=f"cannot reach Kafka at 127.0.0.1:{port}"):
        KafkaBus(f"127.0.0.1:{port}")
