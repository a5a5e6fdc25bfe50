"""The broker's ceiling in the same run: the same values produced and consumed by bare kafka-python,
with nothing the services do to a record."""

from __future__ import annotations

import time
from collections.abc import Iterable

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

from benchmarks.e2e.results import Ceiling
from smileback.common.topics import PARTITIONS

__all__ = ["measure_ceiling"]

_PARTITIONS = PARTITIONS["mentions.raw"]
_CONSUME_TIMEOUT_S = 300.0


def measure_ceiling(
    *, bootstrap: str, topic: str, records: Iterable[tuple[bytes, bytes]]
) -> Ceiling:
    """Produce the (key, value) records to a new `topic`, partitioned as mentions.raw, with
    the ingest's producer settings (acks=all, gzip, 5 ms linger, 64 KiB batches, one request
    in flight), then consume them all from the start; the rate of each."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="bench-e2e-ceiling")
    try:
        admin.create_topics(
            [NewTopic(name=topic, num_partitions=_PARTITIONS, replication_factor=1)]
        )
    finally:
        admin.close()
    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        linger_ms=5,
        batch_size=64 * 1024,
        max_in_flight_requests_per_connection=1,
        compression_type="gzip",
    )
    count = 0
    started = time.perf_counter()
    for key, value in records:
        producer.send(topic, key=key, value=value)
        count += 1
    producer.flush()
    produce_s = time.perf_counter() - started
    producer.close()

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id="bench-e2e-ceiling")
    consumer.assign([TopicPartition(topic, p) for p in range(_PARTITIONS)])
    consumer.seek_to_beginning()
    seen = 0
    started = time.perf_counter()
    deadline = started + _CONSUME_TIMEOUT_S
    while seen < count and time.perf_counter() < deadline:
        for batch in consumer.poll(timeout_ms=1000, max_records=10_000).values():
            seen += len(batch)
    consume_s = time.perf_counter() - started
    consumer.close()
    if seen < count:
        raise RuntimeError(f"raw consume read {seen} of {count} records in {_CONSUME_TIMEOUT_S} s")
    return Ceiling(count=count, produce_per_s=count / produce_s, consume_per_s=count / consume_s)
