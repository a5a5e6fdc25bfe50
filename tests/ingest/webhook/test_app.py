import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook
from starlette.testclient import TestClient

from smileback.common.errors import BusError
from smileback.common.events import Mention
from smileback.ingest.rules import BrandMatcher
from smileback.ingest.sinks import Sink
from smileback.ingest.webhook.app import create_app
from smileback.ingest.webhook.intake import Intake
from smileback.ingest.webhook.signature import WebhookKey

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
def client(sink) -> TestClient:
    intake = Intake(
        sink=sink, matcher=BrandMatcher.from_terms({"acme": ["acme"]}), ack_timeout_s=1.0
    )
    app = create_app(key=WebhookKey.parse(SECRET), intake=intake, clock=lambda: NOW)
    return TestClient(app)


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
