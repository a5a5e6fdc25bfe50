"""The Faust scorer as its own OS process on the real broker: each mention scored exactly once,
bad records dead-lettered; and the scorer's own topics created before the worker starts."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

from smileback.common.errors import ConfigError
from smileback.common.events import Mention, encode
from smileback.common.topics import Topics
from smileback.scorer.provision import COMPACTED, ensure_topics
from tests.support.kafka import produce
from tests.support.promtool import promtool_problems
from tests.support.scorer_cluster import Cluster, Reader
from tests.support.stream_ingest import wait

WAIT_S = 60.0
MENTIONS = 200
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _mentions(run_id: str) -> list[Mention]:
    """Twenty threads of ten: a root, then replies, complaints and praise alternating."""
    out = []
    for i in range(MENTIONS):
        root = f"{run_id}:m{i - i % 10}"
        text = "This is awful, the worst service" if i % 2 else "Thanks, lovely service!"
        out.append(
            Mention(
                id=f"{run_id}:m{i}",
                text=text,
                brand="acme",
                created_at=T0 + timedelta(seconds=i),
                thread={"root_id": root if i % 10 else None},
                author={"id": f"{run_id}:a{i % 7}", "followers": 150_000 if i % 10 == 0 else 50},
            )
        )
    return out


def test_faust_scorer_scores_every_mention_once_and_dead_letters_bad_records(
    kafka_bootstrap: str, topics: Topics, reader: Reader, tmp_path: Path
) -> None:
    run_id = uuid.uuid4().hex[:8]
    mentions = _mentions(run_id)
    good = [(m.root_id.encode(), encode(m)) for m in mentions]
    bad = [
        (b"bad-json", b'{"id": "x", "text": '),
        (b"bad-field", b'{"id": "x", "text": "hi", "colour": "red"}'),
    ]
    # Half before the worker starts (a new group must read from the earliest offset), half after.
    produce(kafka_bootstrap, topics.raw, good[:100])
    cluster = Cluster(bootstrap=kafka_bootstrap, topics=topics, tmp_path=tmp_path)
    worker = cluster.start("scorer")
    try:
        produce(kafka_bootstrap, topics.raw, good[100:120] + bad + good[120:])
        out = reader.until(
            lambda out: len(out.ids()) == MENTIONS and len(out.dead) == 2,
            timeout_s=WAIT_S,
            why=cluster.tails,
        )
        reader.read(2000)  # linger, so a duplicate sent late would still be seen

        counts = Counter(s.id for _, s in out.scored)
        assert set(counts) == {m.id for m in mentions}
        assert max(counts.values()) == 1
        assert all(key == s.root_id.encode() for key, s in out.scored)
        by_id = out.latest()
        complaint, praise = by_id[f"{run_id}:m9"], by_id[f"{run_id}:m8"]
        assert complaint.scores.is_negative
        assert not praise.scores.is_negative
        assert complaint.scores.thread_velocity == pytest.approx(0.5)  # m1, m3, m5, m7, m9
        # Every field is on every scored mention: brand volume and author counts included.
        assert max(s.scores.brand_negative_now for s in by_id.values()) == MENTIONS // 2
        fan = f"{run_id}:a3"  # wrote m3, m10, m17, ...: 29 mentions across ten threads
        assert max(s.scores.author_mentions for s in by_id.values() if s.author.id == fan) == 29
        assert sorted((d.stage, d.source_id, d.topic) for d in out.dead) == [
            ("scorer", "bad-field", topics.raw),
            ("scorer", "bad-json", topics.raw),
        ]
        assert sorted(d.raw for d in out.dead) == sorted(value for _, value in bad)
        ok = worker.metric("smileback_records_total", 'stage="scorer",outcome="ok"')
        assert ok == MENTIONS
        dlq = 'smileback_dlq_records_total{reason="%s",stage="scorer"}'
        body = httpx.get(f"http://127.0.0.1:{worker.metrics_port}/metrics", timeout=5).text
        assert f"{dlq % 'malformed_json'} 1.0" in body
        assert f"{dlq % 'schema'} 1.0" in body
        assert worker.metric("smileback_model_scoring_seconds_count") >= 1
        assert promtool_problems(body) == []

        def raw_lag() -> list[float]:
            text = httpx.get(f"http://127.0.0.1:{worker.metrics_port}/metrics", timeout=5).text
            return [
                float(line.rpartition(" ")[2])
                for line in text.splitlines()
                if line.startswith("smileback_consumer_lag_records{")
                and f'topic="{topics.raw}"' in line
            ]

        # Read every 5 s from the ledger: wait for a reading after the last commit point moved.
        wait(lambda: len(raw_lag()) == 4 and sum(raw_lag()) == 0, "no lag on the 4 raw partitions")
        ready = httpx.get(f"http://127.0.0.1:{worker.metrics_port}/readyz", timeout=5).json()
        assert ready["consumer"] == "ok"
    finally:
        cluster.stop()
    assert worker.process.proc is not None
    assert worker.process.proc.returncode == 0, worker.process.tail()


def test_the_scorers_own_topics_are_created_compacted_and_a_wrong_partition_count_refused(
    kafka_bootstrap: str,
) -> None:
    prefix = f"provision{uuid.uuid4().hex[:8]}"
    wanted = {f"{prefix}-by-brand": (4, {}), f"{prefix}-threads-changelog": (4, COMPACTED)}
    ensure_topics(bootstrap=kafka_bootstrap, topics=wanted, replicas=1)
    ensure_topics(bootstrap=kafka_bootstrap, topics=wanted, replicas=1)  # idempotent
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        described = {t["name"]: len(t["partitions"]) for t in admin.describe_topics(list(wanted))}
        assert described == {name: 4 for name in wanted}
        changelog = f"{prefix}-threads-changelog"
        described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, changelog)])
        assert described["topic"][changelog]["cleanup.policy"]["value"] == "compact"
        admin.create_topics([NewTopic(f"{prefix}-narrow", num_partitions=2, replication_factor=1)])
    finally:
        admin.close()
    with pytest.raises(ConfigError, match="has 2 partitions, the scorer needs 4"):
        ensure_topics(bootstrap=kafka_bootstrap, topics={f"{prefix}-narrow": (4, {})}, replicas=1)
