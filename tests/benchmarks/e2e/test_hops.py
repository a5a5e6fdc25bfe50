"""Time to page by hop: the spreads from each probe's moments, and finding a probe's records."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic

from benchmarks.e2e.hops import HOPS, Trail, breakdown, by_key, first_seen
from tests.support import infra


def _trail(probe_id: str, start: float, steps: list[float]) -> Trail:
    """A probe written at `start`, reaching each next mark `steps[i]` seconds after the last."""
    at, now = {"written": start}, start
    marks = ["raw", "scored", "incident", "page"]
    for mark, step in zip(marks, steps, strict=False):
        now += step
        at[mark] = now
    return Trail(probe_id=probe_id, at=at)


def test_each_hop_spreads_over_the_probes_seen_at_both_of_its_ends() -> None:
    trails = [
        _trail("p500:0", 1000.0, [0.01, 0.5, 1.0, 0.25]),
        _trail("p500:1", 2000.0, [0.03, 1.5, 3.0, 0.75]),
        _trail("p500:2", 3000.0, [0.02, 2.5]),  # still on its way: no incident or page
    ]
    hops = breakdown(trails)
    assert list(hops) == [name for name, _, _ in HOPS]
    ingest = hops["ingest→raw"]
    assert ingest is not None
    assert ingest.n == 3
    assert (ingest.min, ingest.max) == pytest.approx((0.01, 0.03))
    scorer = hops["raw→scored (scorer)"]
    assert scorer is not None
    assert scorer.n == 3
    assert scorer.p50 == pytest.approx(1.5)
    notifier = hops["incident→page (notifier)"]
    assert notifier is not None
    assert notifier.n == 2
    assert notifier.p50 == pytest.approx(0.5)
    assert notifier.p99 == pytest.approx(0.25 + 0.99 * 0.5)


def test_a_hop_no_probe_finished_has_no_spread() -> None:
    hops = breakdown([_trail("p50:0", 10.0, [0.1])])
    assert hops["ingest→raw"] is not None
    assert hops["scored→incident (alerts)"] is None
    assert breakdown([]) == {name: None for name, _, _ in HOPS}


def test_by_key_maps_a_record_key_to_its_probe() -> None:
    match = by_key({"inc_abc": "p500:3"})
    assert match(b"inc_abc", b"{}") == ["p500:3"]
    assert match(b"inc_abd", b"{}") == []
    assert match(None, b"{}") == []


@pytest.fixture(scope="module")
def bootstrap() -> Iterator[str]:
    reuse = os.environ.get(infra.KAFKA_BOOTSTRAP_ENV)
    if reuse:
        yield reuse
        return
    with infra.running_kafka() as started:
        yield started


@pytest.mark.integration
def test_first_seen_reads_each_partition_from_the_start_time_to_its_end(bootstrap: str) -> None:
    topic = f"bench-hops-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(name=topic, num_partitions=3, replication_factor=1)])
    finally:
        admin.close()
    since_ms = 1_700_000_000_000
    sent = [  # (partition, key, CreateTime ms)
        (0, b"p500:0", since_ms - 5000),  # before the level: not read
        (0, b"l500:1", since_ms + 100),
        (0, b"p500:0", since_ms + 200),
        (0, b"p500:0", since_ms + 900),  # redelivered later: the first one counts
        (1, b"p500:1", since_ms + 300),
        (2, b"p500:2", since_ms - 100),  # a partition with nothing since the start
    ]
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for partition, key, at_ms in sent:
        producer.send(topic, key=key, value=b"{}", partition=partition, timestamp_ms=at_ms)
    producer.flush()
    producer.close()
    seen = first_seen(
        bootstrap=bootstrap,
        topic=topic,
        since_s=since_ms / 1000,
        match=by_key({"p500:0": "probe 0", "p500:1": "probe 1", "p500:2": "probe 2"}),
    )
    assert seen == {"probe 0": (since_ms + 200) / 1000, "probe 1": (since_ms + 300) / 1000}
