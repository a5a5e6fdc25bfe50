"""The alerts handler on the in-process bus: outputs, the DLQ and pages."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from smileback.alerts.handler import NOTIFY_STAGE, STAGE, make_handler
from smileback.alerts.incidents import IncidentBook
from smileback.alerts.metrics import PAGES
from smileback.alerts.notifiers import Notifier, WebhookNotifier
from smileback.alerts.notifiers_testing import RecordingNotifier
from smileback.alerts.policy import PolicyConfig
from smileback.common.bus import InMemoryBus
from smileback.common.events import (
    DlqRecord,
    IncidentEvent,
    IncidentEventType,
    QueueItem,
    QueueName,
    ReachTier,
    Sentiment,
    decode,
    encode,
    incident_id_for,
)
from smileback.common.loop import pump
from smileback.common.topics import Topics
from tests.alerts.factory import scored
from tests.alerts.receiver import WebhookReceiver

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TOPICS = Topics()
SECRET = "hook-secret-value"


class Stage:
    """The alerts handler wired to an in-memory bus, pumped by hand."""

    def __init__(self, notifier: Notifier, *, attempts: int = 5) -> None:
        self.bus = InMemoryBus(TOPICS.all())
        self.sleeps: list[float] = []
        self.notifier = notifier
        self.handler = make_handler(
            bus=self.bus,
            topics=TOPICS,
            clock=lambda: T0,
            config=PolicyConfig(brand_handles={"acme": ["@acmehelp"]}),
            book=IncidentBook(),
            notifier=notifier,
            sleep=self.sleeps.append,
            attempts=attempts,
        )
        self.consumer = self.bus.consumer([TOPICS.scored], group="test-alerts")

    def feed(self, *values: bytes, key: str = "root") -> None:
        for value in values:
            self.bus.publish(TOPICS.scored, key=key, value=value)
        while pump(consumer=self.consumer, bus=self.bus, handler=self.handler, max_records=7):
            pass

    def incidents(self) -> list[IncidentEvent]:
        return [decode(IncidentEvent, r.value) for r in self.bus.records(TOPICS.incidents)]

    def queues(self) -> list[QueueItem]:
        return [decode(QueueItem, r.value) for r in self.bus.records(TOPICS.queues)]

    def dlq(self) -> list[DlqRecord]:
        return [decode(DlqRecord, r.value) for r in self.bus.records(TOPICS.dlq)]


def good_json() -> bytes:
    return encode(scored("ok-1", tier=ReachTier.MICRO))


BAD_RECORDS = {
    "malformed-json": b'{"id": "x", "text": ',
    "wrong-types": json.dumps({**json.loads(good_json()), "deleted": "perhaps"}).encode(),
    "unknown-field": json.dumps({**json.loads(good_json()), "surprise": 1}).encode(),
    "oversized-text": json.dumps({**json.loads(good_json()), "text": "a" * 10_001}).encode(),
    "invalid-utf8": b'{"id": "x", "text": "\xff\xfe"}',
    "missing-scores": json.dumps({"id": "x", "text": "hi"}).encode(),
    "empty": b"",
}


@pytest.mark.parametrize("name", list(BAD_RECORDS))
def test_bad_record_goes_to_dlq_and_the_stream_goes_on(name: str) -> None:
    stage = Stage(RecordingNotifier())
    stage.feed(BAD_RECORDS[name], good_json())
    (record,) = stage.dlq()
    assert record.stage == STAGE
    assert record.raw == BAD_RECORDS[name]
    assert record.topic == TOPICS.scored
    assert record.source_id == "root"
    assert record.error
    # The good record after it was still handled: a micro complaint lands in triage.
    (item,) = stage.queues()
    assert item.mention_id == "ok-1"


def test_outputs_for_a_page_a_triage_and_a_smile_back() -> None:
    notifier = RecordingNotifier()
    stage = Stage(notifier)
    stage.feed(
        encode(scored("root")),
        encode(scored("small", tier=ReachTier.NANO, root_id="other")),
        encode(
            scored(
                "kind",
                text="@acmehelp you are wonderful",
                negativity=0.02,
                sentiment=Sentiment.POSITIVE,
            )
        ),
        encode(scored("chatter", text="acme opens at 9?", negativity=0.2)),
    )
    incident_id = incident_id_for(brand="acme", thread_root_id="root")
    events = stage.incidents()
    assert [e.type for e in events] == [IncidentEventType.OPENED, IncidentEventType.PAGED]
    keys = {r.key for r in stage.bus.records(TOPICS.incidents)}
    assert keys == {incident_id.encode()}
    assert {(q.mention_id, q.queue) for q in stage.queues()} == {
        ("small", QueueName.TRIAGE),
        ("kind", QueueName.SMILE_BACK),
    }
    assert {r.key for r in stage.bus.records(TOPICS.queues)} == {b"small", b"kind"}
    (page,) = notifier.pages
    assert page.incident_id == incident_id
    assert page.summary == events[1].summary
    assert page.context["followers"] == 250_000
    assert stage.dlq() == []


def test_exactly_one_page_for_a_thread_with_30_negative_replies() -> None:
    notifier = RecordingNotifier()
    stage = Stage(notifier)
    replies = [
        encode(
            scored(
                f"r{i}",
                root_id="root",
                handle=f"u{i}",
                tier=ReachTier.MACRO if i % 5 == 0 else ReachTier.MICRO,
                velocity=float(i),
            )
        )
        for i in range(30)
    ]
    stage.feed(encode(scored("root")), *replies)
    assert len(notifier.pages) == 1
    events = stage.incidents()
    assert [e.type for e in events].count(IncidentEventType.PAGED) == 1
    assert [e.type for e in events].count(IncidentEventType.UPDATED) == 30
    assert events[-1].mention_count == 31
    assert events[-1].peak_velocity == 29.0


def test_page_that_fails_a_few_times_is_retried_and_delivered() -> None:
    notifier = RecordingNotifier(fail_times=2)
    stage = Stage(notifier)
    stage.feed(encode(scored("root")))
    assert len(notifier.pages) == 1
    assert notifier.attempts == 3
    assert len(stage.sleeps) == 2
    assert stage.dlq() == []


def test_page_that_keeps_failing_is_dead_lettered_with_its_json() -> None:
    before = PAGES.labels(outcome="dead_lettered")._value.get()
    stage = Stage(RecordingNotifier(fail_times=99), attempts=3)
    stage.feed(encode(scored("root")), encode(scored("r1", root_id="root")))
    (record,) = stage.dlq()
    assert record.stage == NOTIFY_STAGE
    page = json.loads(record.raw)
    assert page["dedup_key"] == incident_id_for(brand="acme", thread_root_id="root")
    assert page["severity"] == "critical"
    assert page["context"]["author_handle"] == "loudcustomer"
    # The incident events still went out, and the later reply did not page again.
    assert [e.type for e in stage.incidents()] == [
        IncidentEventType.OPENED,
        IncidentEventType.PAGED,
        IncidentEventType.UPDATED,
    ]
    assert PAGES.labels(outcome="dead_lettered")._value.get() == before + 1


def _refused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


@pytest.mark.parametrize("dead", ["connection-refused", "http-500"])
def test_dead_webhook_retries_then_dead_letters_nothing_lost(dead: str) -> None:
    with WebhookReceiver(secret=SECRET.encode(), status=500) as receiver:
        url = receiver.url if dead == "http-500" else _refused_url()
        notifier = WebhookNotifier(url, SecretStr(SECRET), timeout_s=2)
        stage = Stage(notifier, attempts=4)
        stage.feed(encode(scored("root")))
        notifier.close()
    assert len(stage.sleeps) == 3  # 4 attempts, 3 waits between them
    if dead == "http-500":
        assert len(receiver.received.pages()) == 4  # each attempt arrived, signed
    (record,) = stage.dlq()
    assert record.stage == NOTIFY_STAGE
    assert SECRET not in record.error
    body = json.loads(record.raw)
    assert body["dedup_key"] == incident_id_for(brand="acme", thread_root_id="root")
    assert body["summary"].startswith("[critical] acme: @loudcustomer")


def test_tombstone_is_not_queued_and_redacts_its_incident() -> None:
    stage = Stage(RecordingNotifier())
    stage.feed(encode(scored("root")), encode(scored("root", deleted=True, text="")))
    events = stage.incidents()
    assert events[-1].context == {"redacted": True, "redacted_mention_id": "root"}
    assert stage.queues() == []
