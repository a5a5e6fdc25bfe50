"""Kafka client helpers for the integration tests: topics of a test's own, producing, reading a
topic to its end, and the one comparison of a group's committed offsets with the end offsets."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from smileback.common.events import Event, encode
from smileback.common.topics import Topics
from tests.support.infra import ensure_topics

__all__ = [
    "admin_client",
    "behind",
    "committed_offsets",
    "end_offsets",
    "produce",
    "read_keyed",
    "read_records",
    "topic_partitions",
    "unique_topics",
]


def unique_topics(bootstrap: str, *, stem: str = "scorer") -> Topics:
    """Topics under a prefix of the caller's own (`<stem><8 hex>.`), created on the broker."""
    prefix = f"{stem}{uuid.uuid4().hex[:8]}."
    ensure_topics(bootstrap=bootstrap, prefix=prefix)
    return Topics(prefix=prefix)


def produce(
    bootstrap: str, topic: str, records: Iterable[tuple[str | bytes | None, Event | bytes]]
) -> None:
    """Send (key, event or raw bytes) records with acks=all and wait for the broker."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        for key, value in records:
            producer.send(
                topic,
                key=key.encode() if isinstance(key, str) else key,
                value=value if isinstance(value, bytes) else encode(value),
            )
        producer.flush(timeout=30)
    finally:
        producer.close()


@contextlib.contextmanager
def admin_client(
    bootstrap: str, *, client_id: str = "smileback-tests", timeout_ms: int = 10_000
) -> Iterator[KafkaAdminClient]:
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap, client_id=client_id, request_timeout_ms=timeout_ms
    )
    try:
        yield admin
    finally:
        admin.close()


def topic_partitions(bootstrap: str, topics: Iterable[str]) -> list[TopicPartition]:
    """Every partition the broker knows of `topics` (a topic it does not know adds none)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, request_timeout_ms=15_000)
    try:
        return [
            TopicPartition(t, p)
            for t in sorted(set(topics))
            for p in sorted(consumer.partitions_for_topic(t) or ())
        ]
    finally:
        consumer.close()


def end_offsets(bootstrap: str, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, request_timeout_ms=15_000)
    try:
        return {tp: int(o) for tp, o in consumer.end_offsets(list(partitions)).items()}
    finally:
        consumer.close()


def committed_offsets(
    bootstrap: str, group: str, *, admin: KafkaAdminClient | None = None
) -> dict[TopicPartition, int]:
    """The group's committed offsets (kafka-python 3's list_group_offsets, or 2.x's
    list_consumer_group_offsets); partitions without a commit are left out."""
    with contextlib.ExitStack() as stack:
        if admin is None:
            admin = stack.enter_context(admin_client(bootstrap))
        if hasattr(admin, "list_group_offsets"):
            offsets = admin.list_group_offsets({group: None})[group]
        else:
            offsets = admin.list_consumer_group_offsets(group)
        return {
            TopicPartition(tp.topic, tp.partition): int(meta.offset)
            for tp, meta in offsets.items()
            if meta.offset is not None and meta.offset >= 0
        }


def behind(
    ends: Mapping[TopicPartition, int],
    committed: Mapping[TopicPartition, int],
    partitions: Iterable[TopicPartition] | None = None,
) -> dict[TopicPartition, tuple[int, int]]:
    """(committed, end) of each partition (all of `ends` unless given) whose committed offset
    is not its end offset; a partition without a commit counts as committed at 0."""
    out = {}
    for tp in ends if partitions is None else partitions:
        done = committed.get(tp, 0)
        if done != ends[tp]:
            out[tp] = (done, ends[tp])
    return out


def read_records(
    bootstrap: str, topic: str, *, timeout_s: float = 60.0
) -> list[tuple[int, int, bytes]]:
    """(partition, offset, value) of every record of `topic` up to its end offsets now."""
    return [(r.partition, r.offset, r.value or b"") for r in _read(bootstrap, topic, timeout_s)]


def read_keyed(
    bootstrap: str, topic: str, *, timeout_s: float = 60.0
) -> list[tuple[bytes | None, bytes | None]]:
    """(key, value) of every record of `topic` up to its end offsets now, in partition order;
    a tombstone's value is None."""
    return [(r.key, r.value) for r in _read(bootstrap, topic, timeout_s)]


def _read(bootstrap: str, topic: str, timeout_s: float) -> list[ConsumerRecord]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            if time.monotonic() > deadline:
                raise AssertionError(f"could not read {topic} to its end offsets {ends}")
            for batch in consumer.poll(timeout_ms=1000).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()
