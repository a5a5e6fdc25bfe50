"""Where the scorer's records go in Kafka; its scored mentions and table changelogs sent a
batch at a time.

Faust's `Topic.send` builds a future message for every record and hands them to aiokafka
one at a time, each with its own callbacks: about a tenth of the scorer's CPU when each
batch sends hundreds of scored mentions, and as much again for the tables' changelog
records. A batch's scored mentions, and its table writes (tables.Changelogs), go instead to
aiokafka as one record batch per partition (`AIOKafkaProducer.create_batch` and
`send_batch`), through Faust's own producer: Faust flushes that producer before it commits
any offset, so a raw batch still counts as processed only once its outputs and its state
are with the broker.

Partitions are Kafka's default partitioner's (murmur2 of the key, as aiokafka and every
Java client place a keyed record), so a thread's mentions keep one partition of
`mentions.scored` whichever way they are sent. A by-brand key is placed the same way, and
the thread step needs to know where before sending (batches.BrandHop).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import structlog
from kafka.partitioner.default import murmur2

from smileback.scorer.tables import Changelogs

__all__ = ["BrandPartitions", "key_partition", "send_batches", "send_changelogs"]

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
    grouped: defaultdict[tuple[str, int], list[tuple[bytes, bytes | None]]] = defaultdict(list)
    for key, value in records:
        grouped[topic, partitions[key_partition(key, len(partitions))]].append((key, value))
    await _send_grouped(producer, grouped, delivered=None)


async def send_changelogs(faust_producer: Any, changelogs: Changelogs) -> None:
    """Hand the table writes `changelogs` holds to the producer, a changelog partition's
    records as one record batch (more where one fills up), in order; each batch's last
    offset noted in its table's store once it is delivered.

    The partitions go in the order of their last write, so records written last (a batch's
    thread states, after the brand and author states they imply: batches.py) are never
    handed over before records written earlier, even when their partition also had an
    earlier write (an expired thread's tombstone)."""
    grouped: defaultdict[tuple[str, int], list[tuple[bytes, bytes | None]]] = defaultdict(list)
    last: dict[tuple[str, int], int] = {}
    for index, record in enumerate(changelogs.drain()):
        place = record.topic, record.partition
        grouped[place].append((record.key, record.value))
        last[place] = index
    if grouped:
        ordered = {place: grouped[place] for place in sorted(grouped, key=last.__getitem__)}
        await _send_grouped(
            faust_producer._ensure_producer(), ordered, delivered=changelogs.delivered
        )


async def _send_grouped(
    producer: Any,
    grouped: Mapping[tuple[str, int], Sequence[tuple[bytes, bytes | None]]],
    *,
    delivered: Callable[[str, int, int], None] | None,
) -> None:
    for (topic, partition), items in grouped.items():
        batch, count = producer.create_batch(), 0
        for key, value in items:
            if batch.append(key=key, value=value, timestamp=None) is None:  # full
                await _submit(producer, batch, count, topic, partition, delivered)
                batch, count = producer.create_batch(), 0
                # A fresh batch takes one record of any size the producer accepts.
                batch.append(key=key, value=value, timestamp=None)
            count += 1
        await _submit(producer, batch, count, topic, partition, delivered)


async def _submit(
    producer: Any,
    batch: Any,
    count: int,
    topic: str,
    partition: int,
    delivered: Callable[[str, int, int], None] | None,
) -> None:
    sent: asyncio.Future[Any] = await producer.send_batch(batch, topic, partition=partition)

    def done(future: asyncio.Future[Any]) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:  # after the producer's own retries, as Faust logs a record
            log.error("batch not delivered", topic=topic, partition=partition, error=repr(error))
        elif delivered is not None:
            delivered(topic, partition, future.result().offset + count - 1)

    sent.add_done_callback(done)
