"""The ingest runner against the real broker: every valid mention once, threads together, DLQ."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kafka import KafkaConsumer

from smileback.cli.demo.scenario import BRAND_TERMS, generate, scenario_facts
from smileback.common.errors import SchemaError
from smileback.common.events import DlqRecord, Mention, decode
from smileback.common.topics import Topics
from tests.support.infra import ensure_topics

_RUN = (
    "import sys; from pathlib import Path; from smileback.ingest.settings import IngestSettings; "
    "from smileback.ingest.mapping import FieldMap; "
    "from smileback.ingest.runner import ReplayOptions, run_replay; "
    "m = FieldMap.parse(sys.argv[2]) if len(sys.argv) > 2 else None; "
    "options = ReplayOptions(Path(sys.argv[1]), mapping=m); "
    "print(run_replay(settings=IngestSettings(), options=options, output=None).to_json())"
)


@pytest.fixture
def topics(kafka_bootstrap: str) -> Topics:
    prefix = f"it-ingest-{uuid.uuid4().hex[:8]}."
    ensure_topics(bootstrap=kafka_bootstrap, prefix=prefix)
    return Topics(prefix=prefix)


def _ingest(
    *,
    bootstrap: str,
    topics: Topics,
    source: str,
    stdin: bytes | None = None,
    mapping: str | None = None,
) -> dict:
    env = {
        **os.environ,
        "SMILEBACK_KAFKA_BOOTSTRAP": bootstrap,
        "SMILEBACK_TOPIC_PREFIX": topics.prefix,
        "SMILEBACK_BRANDS": json.dumps({b: list(t) for b, t in BRAND_TERMS.items()}),
    }
    proc = subprocess.run(
        [sys.executable, "-c", _RUN, source, *([mapping] if mapping else [])],
        env=env,
        input=stdin,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
    logs = [json.loads(line) for line in proc.stderr.splitlines()]
    assert any(entry.get("event") == "ingest finished" for entry in logs)
    [report] = proc.stdout.splitlines()  # logs go to stderr, leaving stdout to the data
    return json.loads(report)


def _read(*, bootstrap: str, topics: Topics, expect: int, timeout_s: float = 60.0) -> list:
    consumer = KafkaConsumer(
        topics.raw,
        topics.dlq,
        bootstrap_servers=bootstrap,
        group_id=f"it-ingest-reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    records: list = []
    try:
        deadline = time.monotonic() + timeout_s
        while len(records) < expect and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=1000).values():
                records.extend(batch)
        settle = time.monotonic() + 2  # a duplicate would arrive right behind
        while time.monotonic() < settle:
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
    finally:
        consumer.close()
    return records


def test_a_scenario_file_lands_once_per_mention_with_threads_together(
    kafka_bootstrap, topics, tmp_path: Path
):
    run_id = uuid.uuid4().hex[:8]
    lines = generate(
        start=datetime(2026, 6, 1, 9, 0, tzinfo=UTC), seed=19, total=200, prefix=run_id
    )
    facts = scenario_facts(lines)
    path = tmp_path / "mentions.jsonl"
    path.write_bytes(b"".join(line + b"\n" for line in lines))

    report = _ingest(bootstrap=kafka_bootstrap, topics=topics, source=str(path))
    assert report == {
        "read": 202,
        "published": facts.published,
        "duplicates": 0,
        "unmatched": 0,
        "dlq": 2,
    }

    records = _read(bootstrap=kafka_bootstrap, topics=topics, expect=facts.published + 2)
    raw = [r for r in records if r.topic == topics.raw]
    mentions = [(decode(Mention, r.value), r) for r in raw]
    sent = Counter((m.id, m.deleted) for m in (decode(Mention, x) for x in lines if _ok(x)))
    got = Counter((m.id, m.deleted) for m, _ in mentions)
    assert got == sent
    assert set(got.values()) == {1}
    assert sum(got.values()) == 200

    partition_of = {m.id: r.partition for m, r in mentions if not m.is_reply}
    assert len(set(partition_of.values())) > 1  # spread over partitions
    for mention, record in mentions:
        assert record.key == mention.root_id.encode()
        assert record.partition == partition_of[mention.root_id]
        assert mention.brand == "acme"
        assert mention.ingested_at is not None
    complaint_partition = partition_of[facts.complaint_id]
    thread = [r for m, r in mentions if m.id in set(facts.pile_on_ids)]
    assert len(thread) >= 25
    assert {r.partition for r in thread} == {complaint_partition}

    dead = [decode(DlqRecord, r.value) for r in records if r.topic == topics.dlq]
    bad = [x for x in lines if not _ok(x)]
    assert sorted(d.raw for d in dead) == sorted(bad)
    assert len(bad) == 2
    assert {d.stage for d in dead} == {"ingest"}


def test_stdin_keeps_invalid_bytes_exactly_in_the_dlq(kafka_bootstrap, topics):
    invalid = b'{"id": "bytes-1", "text": "Acme Coffee \xff\xfe caf\xe9"}'
    good = b'{"id": "stdin-1", "text": "hello @acmecoffee"}'
    off_topic = b'{"id": "stdin-2", "text": "nothing to see"}'
    stdin = good + b"\n\n" + invalid + b"\n" + off_topic + b"\n" + good + b"\n"

    report = _ingest(bootstrap=kafka_bootstrap, topics=topics, source="-", stdin=stdin)
    assert report == {"read": 4, "published": 1, "duplicates": 1, "unmatched": 1, "dlq": 1}

    records = _read(bootstrap=kafka_bootstrap, topics=topics, expect=2)
    assert [decode(Mention, r.value).id for r in records if r.topic == topics.raw] == ["stdin-1"]
    dead = [decode(DlqRecord, r.value) for r in records if r.topic == topics.dlq]
    assert [d.raw for d in dead] == [invalid]
    assert "invalid UTF-8" in dead[0].error


def test_a_mapped_csv_reaches_the_topic_compressed(kafka_bootstrap, topics, tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text(
        "post,body,root\nc-1,Acme Coffee is cold,\nc-2,@acmecoffee same here,c-1\nc-3,off topic,\n"
    )
    report = _ingest(
        bootstrap=kafka_bootstrap,
        topics=topics,
        source=str(path),
        mapping="id=post,text=body,thread.root_id=root",
    )
    assert report == {"read": 3, "published": 2, "duplicates": 0, "unmatched": 1, "dlq": 0}
    records = _read(bootstrap=kafka_bootstrap, topics=topics, expect=2)
    assert sorted((r.key, decode(Mention, r.value).id) for r in records) == [
        (b"c-1", "c-1"),
        (b"c-1", "c-2"),
    ]


def _ok(line: bytes) -> bool:
    try:
        decode(Mention, line)
    except SchemaError:
        return False
    return True
