"""The Faust scorer as its own OS process on the real broker: each mention scored exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from smileback.common.events import DlqRecord, Mention, ScoredMention, decode, encode
from smileback.common.topics import Topics
from tests.support.infra import ensure_topics, free_ports

WAIT_S = 120.0
MENTIONS = 200
RUN_SCORER = (
    "import sys\n"
    "from smileback.common.settings import Settings\n"
    "from smileback.scorer.app import run\n"
    "run(settings=Settings(), app_id=sys.argv[1])\n"
)
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
                created_at=T0 + timedelta(seconds=i),
                thread={"root_id": root if i % 10 else None},
                author={"followers": 150_000 if i % 10 == 0 else 50},
            )
        )
    return out


def _produce(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        for key, value in records:
            producer.send(topic, key=key, value=value)
        producer.flush(timeout=30)
    finally:
        producer.close()


@pytest.fixture
def topics(kafka_bootstrap: str) -> Topics:
    """Topics under a prefix of this test's own, so no other test's records mix in."""
    prefix = f"scorer{uuid.uuid4().hex[:8]}."
    ensure_topics(bootstrap=kafka_bootstrap, prefix=prefix)
    return Topics(prefix=prefix)


@pytest.fixture
def reader(kafka_bootstrap: str, topics: Topics) -> Iterator[KafkaConsumer]:
    """A group-less consumer of the scored and DLQ topics from their beginning."""
    consumer = KafkaConsumer(bootstrap_servers=kafka_bootstrap, enable_auto_commit=False)
    parts = [
        TopicPartition(name, p)
        for name in (topics.scored, topics.dlq)
        for p in range(topics.all()[name])
    ]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    yield consumer
    consumer.close()


def _metric(port: int, name: str, labels: str) -> float:
    body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    for line in body.splitlines():
        if line.startswith(f"{name}{{") and all(part in line for part in labels.split(",")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_faust_scorer_scores_every_mention_once_and_dead_letters_bad_records(
    kafka_bootstrap: str, topics: Topics, reader: KafkaConsumer, tmp_path: Path
) -> None:
    run_id = uuid.uuid4().hex[:8]
    mentions = _mentions(run_id)
    good = [(m.root_id.encode(), encode(m)) for m in mentions]
    bad = [
        (b"bad-json", b'{"id": "x", "text": '),
        (b"bad-field", b'{"id": "x", "text": "hi", "colour": "red"}'),
    ]
    # Half before the worker starts (a new group must read from the earliest offset), half after.
    _produce(kafka_bootstrap, topics.raw, good[:100])
    (metrics_port,) = free_ports(count=1)
    env = {
        **os.environ,
        "SMILEBACK_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "SMILEBACK_TOPIC_PREFIX": topics.prefix,
        "SMILEBACK_METRICS_PORT": str(metrics_port),
        "SMILEBACK_SCORER_BATCH_SIZE": "50",
        "SMILEBACK_SCORER_BATCH_WITHIN_S": "0.2",
        "TMPDIR": str(tmp_path),  # where Faust puts its data dir
    }
    log_path = tmp_path / "scorer.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", RUN_SCORER, f"smileback-scorer-test-{run_id}"],
            env=env,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _produce(kafka_bootstrap, topics.raw, good[100:120] + bad + good[120:])
        scored: list[tuple[bytes | None, ScoredMention]] = []
        dead: list[DlqRecord] = []

        def read(timeout_ms: int) -> None:
            for records in reader.poll(timeout_ms=timeout_ms).values():
                for r in records:
                    if r.topic == topics.scored:
                        scored.append((r.key, decode(ScoredMention, r.value)))
                    else:
                        dead.append(decode(DlqRecord, r.value))

        deadline = time.monotonic() + WAIT_S
        while len({s.id for _, s in scored}) < MENTIONS or len(dead) < 2:
            assert proc.poll() is None, log_path.read_text(errors="replace")[-4000:]
            assert time.monotonic() < deadline, (
                f"{len(scored)} scored, {len(dead)} dead after {WAIT_S:.0f} s\n"
                + log_path.read_text(errors="replace")[-4000:]
            )
            read(500)
        read(2000)  # linger, so a duplicate sent late would still be seen

        counts = Counter(s.id for _, s in scored)
        assert set(counts) == {m.id for m in mentions}
        assert max(counts.values()) == 1
        assert all(key == s.root_id.encode() for key, s in scored)
        by_id = {s.id: s for _, s in scored}
        complaint, praise = by_id[f"{run_id}:m9"], by_id[f"{run_id}:m8"]
        assert complaint.scores.is_negative
        assert not praise.scores.is_negative
        assert complaint.scores.model_version == "interim-vader-1"
        assert complaint.scores.thread_velocity == pytest.approx(0.5)  # m1, m3, m5, m7, m9
        assert sorted((d.stage, d.source_id, d.topic) for d in dead) == [
            ("scorer", "bad-field", topics.raw),
            ("scorer", "bad-json", topics.raw),
        ]
        assert sorted(d.raw for d in dead) == sorted(value for _, value in bad)
        ok = _metric(metrics_port, "smileback_records_total", 'stage="scorer",outcome="ok"')
        assert ok == MENTIONS
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
            raise
    assert code == 0, log_path.read_text(errors="replace")[-4000:]
