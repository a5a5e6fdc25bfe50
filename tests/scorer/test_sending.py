"""The scorer's record placement and its scored mentions sent a partition's batch at a time."""

import asyncio
from types import SimpleNamespace

import pytest
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.producer.message_accumulator import BatchBuilder
from faust.types import TP
from structlog.testing import capture_logs

from smileback.scorer.sending import (
    BrandPartitions,
    key_partition,
    send_batches,
    send_changelogs,
)
from smileback.scorer.tables import ChangelogRecord, Changelogs


@pytest.mark.parametrize("key", [b"acme", b"acme\x003", "ünïcode".encode(), b"root-123456789"])
def test_a_key_s_partition_is_the_one_the_producer_s_default_partitioner_gives(key):
    for count in (1, 4, 12):
        assert key_partition(key, count) == DefaultPartitioner()(key, list(range(count)), [])


def test_brand_partitions_place_each_key_by_its_utf8_bytes():
    partitions = BrandPartitions(count=4)
    assert partitions("acme\x002") == key_partition(b"acme\x002", 4)
    assert {partitions(f"brand{i}") for i in range(40)} == {0, 1, 2, 3}
    with pytest.raises(ValueError, match="at least one partition"):
        BrandPartitions(count=0)


class _Producer:
    """Faust's producer and aiokafka's, as far as `send_batches` uses them, with aiokafka's
    real batch builder."""

    def __init__(self, *, partitions: int, batch_size: int) -> None:
        self.partitions, self.batch_size = partitions, batch_size
        self.sent: list[tuple[str, int, int]] = []  # (topic, partition, records)
        self.failure: Exception | None = None
        self.ends: dict[tuple[str, int], int] = {}  # where each partition's log ends

    def _ensure_producer(self):
        return self

    async def partitions_for(self, topic):
        return set(range(self.partitions))

    def create_batch(self):
        return BatchBuilder(self.batch_size, 0)

    async def send_batch(self, batch, topic, *, partition):
        count = batch.record_count()
        self.sent.append((topic, partition, count))
        delivered = asyncio.get_running_loop().create_future()
        if self.failure is None:
            base = self.ends.get((topic, partition), 0)
            self.ends[topic, partition] = base + count
            delivered.set_result(SimpleNamespace(offset=base))  # the batch's first offset
        else:
            delivered.set_exception(self.failure)
        return delivered


async def test_records_go_as_one_batch_per_partition_and_a_full_batch_is_followed_by_more():
    producer = _Producer(partitions=4, batch_size=1024)
    records = [(f"root-{i % 6}".encode(), b"x" * 300) for i in range(30)]
    await send_batches(producer, "mentions.scored", records)
    per_partition: dict[int, int] = {}
    for topic, partition, count in producer.sent:
        assert topic == "mentions.scored"
        per_partition[partition] = per_partition.get(partition, 0) + count
    expected: dict[int, int] = {}
    for key, _ in records:
        expected[key_partition(key, 4)] = expected.get(key_partition(key, 4), 0) + 1
    assert per_partition == expected  # every record, where its key belongs
    assert len(producer.sent) > len(expected)  # 1 KiB batches hold three of these records
    assert all(count <= 3 for _, _, count in producer.sent)


async def test_a_record_larger_than_a_batch_goes_in_a_batch_of_its_own():
    producer = _Producer(partitions=1, batch_size=100)
    await send_batches(producer, "t", [(b"a", b"x" * 10), (b"b", b"y" * 500), (b"c", b"z")])
    assert producer.sent == [("t", 0, 1), ("t", 0, 1), ("t", 0, 1)]


async def test_a_batch_the_producer_gives_up_on_is_logged():
    producer = _Producer(partitions=1, batch_size=1024)
    producer.failure = RuntimeError("broker gone for good")
    with capture_logs() as logs:
        await send_batches(producer, "t", [(b"a", b"x")])
        await asyncio.sleep(0)  # the delivery callback
    (failed,) = [entry for entry in logs if entry["event"] == "batch not delivered"]
    assert (failed["topic"], failed["partition"]) == ("t", 0)
    assert "broker gone for good" in failed["error"]


async def test_changelog_records_go_by_partition_in_order_and_each_delivered_end_is_noted():
    producer = _Producer(partitions=4, batch_size=1024)
    noted: list[tuple[TP, int]] = []
    changelogs = Changelogs()
    for topic in ("t-threads-changelog", "t-brands-changelog"):
        changelogs.table(topic, persisted=lambda tp, offset: noted.append((tp, offset)))
    records = [  # as a batch writes them: an expired thread, then brands, then threads
        ChangelogRecord("t-threads-changelog", 0, b'"r0"', None),
        ChangelogRecord("t-brands-changelog", 2, b'"acme"', b"x" * 600),
        ChangelogRecord("t-brands-changelog", 2, b'"globex"', b"y" * 600),
        ChangelogRecord("t-brands-changelog", 2, b'"acme"', None),  # a tombstone
        ChangelogRecord("t-threads-changelog", 0, b'"r1"', b"{}"),
    ]
    for record in records:
        changelogs.add(record)
    await send_changelogs(producer, changelogs)
    await asyncio.sleep(0)  # the delivery callbacks
    # The brands partition's three records in order, in two batches (1 KiB holds one value
    # and the tombstone, not two values); the threads partition after it, where its last
    # record was written, though its first came before.
    assert producer.sent == [
        ("t-brands-changelog", 2, 1),
        ("t-brands-changelog", 2, 2),
        ("t-threads-changelog", 0, 2),
    ]
    brands, threads = TP("t-brands-changelog", 2), TP("t-threads-changelog", 0)
    assert sorted(noted) == sorted([(brands, 0), (brands, 2), (threads, 1)])  # each batch's last
    assert changelogs.drain() == []  # all handed over
    await send_changelogs(producer, changelogs)  # nothing to send: no batch
    assert len(producer.sent) == 3
