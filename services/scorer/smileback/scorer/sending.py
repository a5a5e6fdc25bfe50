"""Where the scorer's records go in Kafka, and its scored mentions sent a batch at a time.

Faust's `Topic.send` builds a future message for every record and hands them to aiokafka
one at a time, each with its own callbacks: about a tenth of the scorer's CPU when each
batch sends hundreds of scored mentions. A batch's scored mentions go instead to aiokafka
as one record batch per partition (`AIOKafkaProducer.create_batch` and `send_batch`),
through Faust's own producer: Faust flushes that producer before it commits any offset,
so a raw batch still counts as processed only once its outputs are with the broker.

Partitions are Kafka's default partitioner's (murmur2 of the key, as aiokafka and every
Java client place a keyed record), so a thread's mentions keep one partition of
`mentions.scored` whichever way they are sent. A by-brand key is placed the same way, and
the thread step needs to know where before sending (batches.BrandHop).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import structlog
from kafka.partitioner.default import murmur2

__all__ = ["BrandPartitions", "key_partition", "send_batches"]

log = structlog.get_logger(__name__)


def key_partition(key: bytes, count: int) -> int:
    """The partition of `count` Kafka's default partitioner gives a keyed record."""
    hashed: int = murmur2(key)
    return (hashed & 0x7FFFFFFF) % count


class BrandPartitions:
    """The by-brand partition of a key (remembered per key: a worker sees a few per brand)."""

    def __init__(self, *, count: int) -> None:
        if count < 1:
            raise ValueError(f"a topic has at least one partition, got {count}")
        self._count = count
        self._of = lru_cache(maxsize=4096)(self._compute)

    def __call__(self, key: str) -> int:
        return self._of(key)

    def _compute(self, key: str) -> int:
        return key_partition(key.encode("utf-8"), self._count)


async def send_batches(
    faust_producer: Any, topic: str, records: Sequence[tuple[bytes, bytes]]
) -> None:
    """Hand keyed `records` (key, value) to the `AIOKafkaProducer` of Faust's producer, one
    record batch per partition (more where one fills up), in order within each partition.
    (`_ensure_producer` is the Faust driver's, faust-streaming 0.15.3, pinned.)"""
    producer = faust_producer._ensure_producer()
    partitions = sorted(await producer.partitions_for(topic))
    grouped: defaultdict[int, list[tuple[bytes, bytes]]] = defaultdict(list)
    for key, value in records:
        grouped[partitions[key_partition(key, len(partitions))]].append((key, value))
    for partition, items in grouped.items():
        batch = producer.create_batch()
        for key, value in items:
            if batch.append(key=key, value=value, timestamp=None) is None:  # full
                await _submit(producer, batch, topic, partition)
                batch = producer.create_batch()
                # A fresh batch takes one record of any size the producer accepts.
                batch.append(key=key, value=value, timestamp=None)
        await _submit(producer, batch, topic, partition)


async def _submit(producer: Any, batch: Any, topic: str, partition: int) -> None:
    delivered: asyncio.Future[Any] = await producer.send_batch(batch, topic, partition=partition)
    delivered.add_done_callback(lambda done: _failed(done, topic=topic, partition=partition))


def _failed(done: asyncio.Future[Any], *, topic: str, partition: int) -> None:
    """Log a batch the producer gave up on (after its own retries), as Faust logs a record."""
    if done.cancelled():
        return
    error = done.exception()
    if error is not None:
        log.error("scored batch not delivered", topic=topic, partition=partition, error=repr(error))
