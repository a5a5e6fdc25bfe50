import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from standardwebhooks.webhooks import Webhook
from starlette.testclient import TestClient

from smileback.common.errors import BusError
from smileback.common.events import Mention
from smileback.common.health import Health
from smileback.common.supervise import KAFKA
from smileback.ingest.rules import BrandMatcher
from smileback.ingest.sinks import Sink
from smileback.ingest.webhook.app import create_app
from smileback.ingest.webhook.intake import Intake, IntakeSlot
from smileback.ingest.webhook.signature import WebhookKey
from tests.support.promtool import promtool_problems

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)


class RecordingSink(Sink):
    """Keeps what was flushed; `down` makes flush fail as a broker outage does."""

    def __init__(self) -> None:
        self.queued: list[Mention] = []
        self.durable: list[Mention] = []
        self.down = False

    def write(self, mention: Mention) -> None:
        self.queued.append(mention)

    def reject(self, *, raw: bytes, error: str, source_id: str | None, number: int) -> None:
        raise AssertionError("the webhook refuses bad input in its answer")

    def flush(self, timeout_s: float | None = None) -> None:
        if self.down:
            raise BusError("flush failed: KafkaTimeoutError")
        self.durable.extend(self.queued)
        self.queued.clear()


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
def health() -> Health:
    return Health(needs=[KAFKA])


def intake_of(sink: Sink, health: Health) -> Intake:
    matcher = BrandMatcher.from_terms({"acme": ["acme"]})
    return Intake(sink=sink, matcher=matcher, ack_timeout_s=1.0, kafka=health.dependency(KAFKA))


def app_client(slot: IntakeSlot, health: Health) -> TestClient:
    app = create_app(key=WebhookKey.parse(SECRET), intake=slot, clock=lambda: NOW, health=health)
    return TestClient(app)


@pytest.fixture
def client(sink, health) -> TestClient:
    slot = IntakeSlot()
    slot.open(intake_of(sink, health))
    health.dependency(KAFKA).up()  # as the server marks it once Kafka answered at start
    return app_client(slot, health)


def post(client, body, *, msg_id="msg_1", at=NOW, content_type="application/json", sign=True):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"content-type": content_type}
    if sign:
        headers |= {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": Webhook(SECRET).sign(msg_id, at, raw),
        }
    return client.post("/v1/ingest", content=raw, headers=headers)


def mention(mention_id: str, text: str = "acme is late") -> dict:
    return {"id": mention_id, "text": text}


def test_a_signed_batch_is_202_with_the_ids_written_and_the_unmatched_ones(client, sink):
    answer = post(client, [mention("m1"), mention("m2", "off topic"), mention("m3")])
    assert answer.status_code == 202
    assert answer.json() == {"accepted": ["m1", "m3"], "unmatched": ["m2"]}
    assert [(m.id, m.brand, m.ingested_at) for m in sink.durable] == [
        ("m1", "acme", NOW),
        ("m3", "acme", NOW),
    ]


def test_one_object_is_one_mention(client, sink):
    assert post(client, mention("m1")).json() == {"accepted": ["m1"], "unmatched": []}


def test_a_replayed_webhook_id_is_401_and_not_written_twice(client, sink):
    assert post(client, mention("m1")).status_code == 202
    again = post(client, mention("m1"))
    assert again.status_code == 401
    assert again.json() == {"error": "webhook-id 'msg_1' was already accepted"}
    assert len(sink.durable) == 1


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"sign": False}, "missing webhook-id, webhook-timestamp or webhook-signature"),
        ({"at": NOW - timedelta(minutes=6)}, "webhook-timestamp is more than 5 minutes from now"),
    ],
)
def test_unsigned_and_expired_messages_are_401(client, sink, kwargs, reason):
    answer = post(client, mention("m1"), **kwargs)
    assert (answer.status_code, answer.json()) == (401, {"error": reason})
    assert sink.durable == []


def test_a_signature_of_another_body_is_401(client):
    raw = json.dumps(mention("m1")).encode()
    signed = {
        "content-type": "application/json",
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(NOW.timestamp())),
        "webhook-signature": Webhook(SECRET).sign("msg_1", NOW, raw + b" "),
    }
    answer = client.post("/v1/ingest", content=raw, headers=signed)
    assert (answer.status_code, answer.json()) == (401, {"error": "no webhook-signature matches"})


def test_a_wrong_content_type_is_415(client):
    answer = post(client, mention("m1"), content_type="text/plain")
    assert answer.status_code == 415
    assert (
        post(client, mention("m1"), content_type="application/json; charset=utf-8").status_code
        == 202
    )


def test_an_oversized_body_is_413_before_its_signature_is_checked(client):
    answer = post(client, b"[" + b" " * 1_000_000 + b"]", sign=False)
    assert (answer.status_code, answer.json()) == (413, {"error": "body over 1000000 bytes"})


def test_non_utf8_and_malformed_json_are_400(client):
    assert post(client, b'{"id": "\xff"}', msg_id="a").json() == {
        "error": "invalid UTF-8 at byte 8"
    }
    answer = post(client, b'{"id": ', msg_id="b")
    assert answer.status_code == 400


def test_a_batch_with_one_bad_item_is_422_naming_it_and_nothing_is_written(client, sink):
    answer = post(client, [mention("m1"), {"id": "m2", "text": 5}, mention("m3")])
    assert answer.status_code == 422
    assert answer.json()["errors"] == ["[1].text: Input should be a valid string"]
    assert sink.durable == []
    # The sender may fix the batch and retry with the same message id.
    assert post(client, [mention("m1"), mention("m3")]).status_code == 202


def test_while_kafka_does_not_acknowledge_it_is_503_with_retry_after_and_the_id_stays_usable(
    client, sink
):
    sink.down = True
    answer = post(client, mention("m1"))
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    sink.down = False
    assert post(client, mention("m1")).status_code == 202  # the same message, retried
    # As with Kafka, what a failed flush left queued may still land: at least once, and
    # downstream stores upsert by id.
    assert {m.id for m in sink.durable} == {"m1"}


def test_only_post_on_the_one_path(client):
    assert client.get("/v1/ingest").status_code == 405
    assert client.post("/v1/other", content=b"{}").status_code == 404


def test_before_kafka_answers_it_is_alive_not_ready_and_asks_to_retry(sink, health):
    slot = IntakeSlot()
    client = app_client(slot, health)
    answer = post(client, mention("m1"))
    assert (answer.status_code, answer.headers["retry-after"]) == (503, "5")
    assert "Kafka has not answered yet" in answer.json()["error"]
    assert client.get("/healthz").json() == {"status": "ok"}
    waiting = client.get("/readyz")
    assert waiting.status_code == 503
    assert waiting.json()["intake"] == "waiting for Kafka"

    slot.open(intake_of(sink, health))
    health.dependency(KAFKA).up()
    assert client.get("/readyz").json() == {"status": "ok", "intake": "open", KAFKA: "up"}
    assert post(client, mention("m1")).status_code == 202  # the same message, retried
    assert [m.id for m in sink.durable] == ["m1"]


def test_a_flush_kafka_does_not_acknowledge_makes_it_not_ready_until_one_does(client, sink):
    sink.down = True
    assert post(client, mention("m1"), msg_id="a").status_code == 503
    not_ready = client.get("/readyz")
    assert (not_ready.status_code, not_ready.json()[KAFKA]) == (503, "writes not acknowledged")
    assert client.get("/healthz").status_code == 200
    sink.down = False
    assert post(client, mention("m1"), msg_id="a").status_code == 202
    assert client.get("/readyz").status_code == 200


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_count_accepted_mentions_refusals_by_status_and_reason_and_latency(client, sink):
    accepted = "smileback_ingest_webhook_accepted_mentions_total"
    rejected = "smileback_ingest_webhook_rejected_requests_total"
    latency = "smileback_ingest_webhook_request_seconds_count"
    before = {
        "accepted": _sample(accepted),
        "replayed": _sample(rejected, status="401", reason="replayed"),
        "media": _sample(rejected, status="415", reason="media_type"),
        "kafka": _sample(rejected, status="503", reason="kafka"),
        "latency": _sample(latency),
        "batches": _sample("smileback_batch_records_count", stage="ingest"),
    }
    post(client, [mention("m1"), mention("m2", "off topic"), mention("m3")])
    post(client, [mention("m1")])  # the same webhook-id again
    post(client, mention("m4"), msg_id="b", content_type="text/plain")
    sink.down = True
    post(client, mention("m5"), msg_id="c")
    assert _sample(accepted) - before["accepted"] == 2
    assert _sample(rejected, status="401", reason="replayed") - before["replayed"] == 1
    assert _sample(rejected, status="415", reason="media_type") - before["media"] == 1
    assert _sample(rejected, status="503", reason="kafka") - before["kafka"] == 1
    assert _sample(latency) - before["latency"] == 4
    # Two requests reached the intake: the accepted one and the one Kafka did not acknowledge.
    assert _sample("smileback_batch_records_count", stage="ingest") - before["batches"] == 2
    assert _sample("smileback_last_batch_timestamp_seconds", stage="ingest") > 0
    text = client.get("/metrics")
    assert text.status_code == 200
    assert text.headers["content-type"].startswith("text/plain")
    assert 'smileback_ingest_webhook_rejected_requests_total{reason="replayed",status="401"}' in (
        text.text
    )
    assert promtool_problems(text.text) == []
