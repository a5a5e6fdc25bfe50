"""The alerts service as its own OS process on the real broker: one signed page per thread."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata

from smileback.common.errors import SchemaError
from smileback.common.events import (
    IncidentEvent,
    IncidentEventType,
    ReachTier,
    Sentiment,
    decode,
    encode,
    incident_id_for,
)
from smileback.common.topics import Topics
from tests.alerts.factory import scored
from tests.alerts.receiver import WebhookReceiver
from tests.support.processes import SMILEBACK

TOPICS = Topics()
SECRET = "integration-hook-secret"
URL_TOKEN = "url-token-not-for-logs"  # webhook URLs often carry credentials
WAIT_S = 90.0


def _partitions(consumer: KafkaConsumer, topic: str) -> list[TopicPartition]:
    deadline = time.monotonic() + 30
    while not (parts := consumer.partitions_for_topic(topic)):
        assert time.monotonic() < deadline, f"no metadata for {topic}"
        time.sleep(0.2)
    return [TopicPartition(topic, p) for p in sorted(parts)]


def _start_group_at_end(*, bootstrap: str, group: str) -> None:
    """Commit the scored topic's end offsets for `group`, so it reads only this test's records."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    try:
        parts = _partitions(consumer, TOPICS.scored)
        consumer.assign(parts)
        ends = consumer.end_offsets(parts)
        consumer.commit({tp: OffsetAndMetadata(ends[tp], "", -1) for tp in parts})
    finally:
        consumer.close()


@pytest.fixture
def incidents_reader(kafka_bootstrap: str) -> Iterator[KafkaConsumer]:
    """A group-less consumer of the incidents topic positioned at its current end."""
    consumer = KafkaConsumer(bootstrap_servers=kafka_bootstrap, enable_auto_commit=False)
    parts = _partitions(consumer, TOPICS.incidents)
    consumer.assign(parts)
    consumer.seek_to_end(*parts)
    for tp in parts:
        consumer.position(tp)  # resolve the lazy seek now, before anything is produced
    yield consumer
    consumer.close()


def _thread(brand: str) -> list[tuple[str, bytes]]:
    """One macro complaint, 20 negative replies and quotes, and a few unrelated mentions."""
    root = f"{brand}:root"
    mentions = [scored(root, brand=brand, tier=ReachTier.MACRO, negativity=0.96)]
    mentions += [
        scored(
            f"{brand}:reply-{i}",
            brand=brand,
            root_id=root,
            handle=f"replier{i}",
            tier=ReachTier.MACRO if i % 7 == 0 else ReachTier.MICRO,
            negativity=0.9,
            velocity=float(i),
        )
        for i in range(20)
    ]
    mentions += [
        scored(f"{brand}:small", brand=brand, tier=ReachTier.MICRO, handle="small"),
        scored(
            f"{brand}:kind",
            brand=brand,
            text=f"Thank you {brand}, lovely service",
            negativity=0.02,
            sentiment=Sentiment.POSITIVE,
        ),
        scored(f"{brand}:chatter", brand=brand, text=f"is {brand} open?", negativity=0.1),
    ]
    return [(m.root_id, encode(m)) for m in mentions]


def _produce(bootstrap: str, records: list[tuple[str, bytes]]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        for key, value in records:
            producer.send(TOPICS.scored, key=key.encode(), value=value)
        producer.flush(timeout=30)
    finally:
        producer.close()


def test_alerts_process_pages_once_per_thread(
    kafka_bootstrap: str, incidents_reader: KafkaConsumer
) -> None:
    brand = f"itest{uuid.uuid4().hex[:10]}"
    group = f"smileback-alerts-test-{uuid.uuid4().hex[:8]}"
    incident_id = incident_id_for(brand=brand, thread_root_id=f"{brand}:root")
    _start_group_at_end(bootstrap=kafka_bootstrap, group=group)

    # The log goes to a file, not a pipe: nobody reads a pipe while we wait, and a full one blocks.
    with WebhookReceiver(secret=SECRET.encode()) as receiver, tempfile.TemporaryFile() as log_file:
        env = {
            **os.environ,
            "SMILEBACK_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "SMILEBACK_WEBHOOK_URL": f"{receiver.url}?token={URL_TOKEN}",
            "SMILEBACK_WEBHOOK_SECRET": SECRET,
            "SMILEBACK_METRICS_PORT": "0",
            "SMILEBACK_ALERTS_GROUP": group,
        }
        proc = subprocess.Popen(
            [str(SMILEBACK), "alerts"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            _produce(kafka_bootstrap, _thread(brand))
            events: list[IncidentEvent] = []
            deadline = time.monotonic() + WAIT_S
            # 20 updates: every reply was handled, and each page goes out before the next record.
            while sum(e.type is IncidentEventType.UPDATED for e in events) < 20:
                assert proc.poll() is None, "alerts process died"
                assert time.monotonic() < deadline, f"only {len(events)} incident events"
                for records in incidents_reader.poll(timeout_ms=500).values():
                    for r in records:
                        try:
                            event = decode(IncidentEvent, r.value)
                        except SchemaError:
                            continue  # not ours to judge: another producer's record
                        if event.brand == brand:
                            events.append(event)

            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log_file.seek(0)
            output = log_file.read()

    assert proc.returncode == 0, output.decode(errors="replace")[-3000:]
    assert b"alerts running" in output
    assert SECRET.encode() not in output
    assert URL_TOKEN.encode() not in output

    pages = [p for p in receiver.received.pages() if p["context"].get("brand") == brand]
    assert len(pages) == 1, pages
    (page,) = pages
    assert page["dedup_key"] == incident_id
    assert page["severity"] == "critical"
    assert page["context"]["followers"] == 250_000
    assert receiver.received.rejected == []
    sent_at = datetime.fromisoformat(page["sent_at"])
    assert abs((datetime.now(UTC) - sent_at).total_seconds()) < WAIT_S + 60

    types = [e.type for e in events]
    assert types[:2] == [IncidentEventType.OPENED, IncidentEventType.PAGED]
    assert types.count(IncidentEventType.PAGED) == 1
    assert {e.incident_id for e in events} == {incident_id}
    assert events[-1].mention_count == 21
