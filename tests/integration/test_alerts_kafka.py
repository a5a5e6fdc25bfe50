"""`smileback alerts` with only a signed webhook configured (no on-call or policy file), as
its own process on the real broker: one page per thread, queues, the DLQ, a clean stop."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from kafka import KafkaConsumer

from smileback.common.events import (
    DlqRecord,
    IncidentEventType,
    QueueItem,
    ReachTier,
    Sentiment,
    decode,
    incident_id_for,
)
from tests.support.alerts_live import IncidentsReader, thread_of, wait_for
from tests.support.builders import scored_tiered as scored
from tests.support.infra import fresh_database
from tests.support.kafka import produce, unique_topics
from tests.support.processes import ServiceProcess
from tests.support.receivers import Receiver

SECRET = "integration-hook-secret"
URL_TOKEN = "url-token-not-for-logs"  # webhook URLs often carry credentials


def _read(bootstrap: str, topic: str) -> list[bytes]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=3000,
    )
    try:
        return [r.value for r in consumer]
    finally:
        consumer.close()


def test_webhook_only_pages_once_per_thread(
    kafka_bootstrap: str, postgres_url: str, tmp_path: Path
) -> None:
    brand = f"itest{uuid.uuid4().hex[:10]}"
    topics = unique_topics(kafka_bootstrap, stem="alertsk")
    root = f"{brand}:root"
    incident_id = incident_id_for(brand=brand, thread_root_id=root)
    mentions = [scored(root, brand=brand, tier=ReachTier.MACRO, negativity=0.96)]
    mentions += [
        scored(
            f"{brand}:reply-{i}",
            brand=brand,
            root_id=root,
            handle=f"replier{i}",
            tier=ReachTier.MACRO if i % 7 == 0 else ReachTier.MICRO,
            velocity=float(i),
            risk=0.9,
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
    ]

    with (
        fresh_database(postgres_url, prefix="alerts") as database,
        Receiver(secret=SECRET.encode()) as receiver,
    ):
        env = {
            "SMILEBACK_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "SMILEBACK_TOPIC_PREFIX": topics.prefix,
            "SMILEBACK_ALERTS_GROUP": f"alerts-{uuid.uuid4().hex[:8]}",
            # No alerts database of its own: its tables go into the store's database.
            "SMILEBACK_DATABASE_URL": database,
            "SMILEBACK_WEBHOOK_URL": f"{receiver.url}?token={URL_TOKEN}",
            "SMILEBACK_WEBHOOK_SECRET": SECRET,
            "SMILEBACK_METRICS_PORT": "0",
        }
        reader = IncidentsReader(kafka_bootstrap, topics)
        alerts = ServiceProcess(args=["alerts"], env=env, log_path=tmp_path / "alerts.log")
        with alerts:
            produce(kafka_bootstrap, topics.scored, [("bad", b'{"id": "x", "text": ')])
            produce(kafka_bootstrap, topics.scored, thread_of(mentions))
            wait_for(
                "the page, and an update counting the whole thread",
                lambda: (
                    any(
                        e.type is IncidentEventType.UPDATED and e.mention_count == 21
                        for e in reader.poll()
                    )
                    and bool(receiver.pages())
                ),
                timeout_s=120,
                alive=alerts.alive,
                tail=alerts.tail,
            )
            assert alerts.stop() == 0, alerts.tail()
        events = reader.poll()
        reader.close()
        output = alerts.log_path.read_bytes()

    assert b"alerts running" in output
    assert SECRET.encode() not in output
    assert URL_TOKEN.encode() not in output
    assert receiver.rejected() == []
    (page,) = receiver.pages()
    assert (page["event"], page["dedup_key"], page["severity"]) == (
        "trigger",
        incident_id,
        "critical",
    )
    assert page["context"]["who"]["followers"] == 250_000
    assert page["context"]["thread"]["root_id"] == root
    sent_at = datetime.fromisoformat(page["sent_at"])
    assert abs((datetime.now(UTC) - sent_at).total_seconds()) < 120

    types = [e.type for e in events]
    assert types[:2] == [IncidentEventType.OPENED, IncidentEventType.PAGED]
    assert types.count(IncidentEventType.PAGED) == 1
    assert {e.incident_id for e in events} == {incident_id}
    assert events[-1].mention_count == 21

    items = [decode(QueueItem, v) for v in _read(kafka_bootstrap, topics.queues)]
    queued = {(q.mention_id, str(q.queue)) for q in items}
    assert (f"{brand}:small", "triage") in queued
    assert (f"{brand}:kind", "smile_back") in queued
    (dead,) = [decode(DlqRecord, v) for v in _read(kafka_bootstrap, topics.dlq)]
    assert (dead.stage, dead.source_id) == ("alerts", "bad")
