"""`smileback ingest webhook` as its own process against the real broker: every answer over
HTTP, and a broker stopped during a burst answers 503 without losing anything it took."""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from smileback.common.events import Mention, decode
from smileback.common.topics import Topics
from tests.support import infra
from tests.support.kafka import read_records, unique_topics
from tests.support.processes import ServiceProcess

SECRET = "whsec_" + base64.b64encode(b"integration-test-secret-32-bytes").decode()


@pytest.fixture
def topics(kafka_bootstrap: str) -> Topics:
    return unique_topics(kafka_bootstrap, stem="it-webhook-")


@pytest.fixture
def webhook(kafka_bootstrap: str, topics: Topics, tmp_path: Path) -> Iterator[str]:
    with _webhook(bootstrap=kafka_bootstrap, topics=topics, log=tmp_path / "webhook.log") as url:
        yield url


@contextlib.contextmanager
def _webhook(
    *, bootstrap: str, topics: Topics, log: Path, ack_timeout_s: float = 10.0
) -> Iterator[str]:
    (port,) = infra.free_ports(count=1)
    env = {
        "SMILEBACK_KAFKA_BOOTSTRAP": bootstrap,
        "SMILEBACK_TOPIC_PREFIX": topics.prefix,
        "SMILEBACK_BRANDS": '{"acme": ["acme"]}',
        "SMILEBACK_INGEST_WEBHOOK_SECRET": SECRET,
        "SMILEBACK_INGEST_WEBHOOK_ACK_TIMEOUT_S": str(ack_timeout_s),
    }
    with ServiceProcess(
        args=["ingest", "webhook", "--port", str(port)], env=env, log_path=log
    ) as service:
        url = f"http://127.0.0.1:{port}/v1/ingest"
        deadline = time.monotonic() + 60
        while True:
            assert service.alive(), service.tail()
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, service.tail()
                time.sleep(0.2)
        yield url
        assert service.alive(), service.tail()
        assert SECRET.removeprefix("whsec_") not in log.read_text()


def _post(url: str, body: object, *, msg_id: str | None = None, at: datetime | None = None, **kw):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    at = at or datetime.now(UTC)
    headers = {
        "content-type": kw.pop("content_type", "application/json"),
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": kw.pop("signature", None) or Webhook(SECRET).sign(msg_id, at, raw),
    }
    return httpx.post(url, content=raw, headers=headers, timeout=30)


def _on_topic(bootstrap: str, topics: Topics) -> dict[str, int]:
    """Mention id -> partition of everything on the raw topic now."""
    records = read_records(bootstrap, topics.raw)
    return {decode(Mention, value).id: partition for partition, _, value in records}


def test_each_answer_of_the_webhook(webhook: str, kafka_bootstrap: str, topics: Topics) -> None:
    run = uuid.uuid4().hex[:8]
    batch = [
        {"id": f"{run}-1", "text": "acme is late again"},
        {"id": f"{run}-2", "text": "off topic"},
        {"id": f"{run}-3", "text": "@someone acme replied", "thread": {"root_id": f"{run}-1"}},
    ]
    answer = _post(webhook, batch, msg_id=f"msg_{run}")
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"accepted": [f"{run}-1", f"{run}-3"], "unmatched": [f"{run}-2"]}

    replayed = _post(webhook, batch, msg_id=f"msg_{run}")
    assert (replayed.status_code, replayed.json()["error"]) == (
        401,
        f"webhook-id 'msg_{run}' was already accepted",
    )
    assert _post(webhook, batch, signature="v1,AAAA").status_code == 401
    expired = datetime.now(UTC) - timedelta(minutes=6)
    assert _post(webhook, batch, at=expired).json() == {
        "error": "webhook-timestamp is more than 5 minutes from now"
    }
    assert _post(webhook, batch, content_type="text/csv").status_code == 415
    assert _post(webhook, b"[" + b" " * 1_000_001 + b"]").status_code == 413
    too_many = [{"id": f"{run}-n{i}", "text": "acme"} for i in range(501)]
    assert _post(webhook, too_many).status_code == 413
    assert _post(webhook, b'{"id": "x", "text": "caf\xe9"}').json() == {
        "error": "invalid UTF-8 at byte 24"
    }
    bad_item = [{"id": f"{run}-4", "text": "acme"}, {"id": f"{run}-5", "text": "acme", "x": 1}]
    refused = _post(webhook, bad_item)
    assert refused.status_code == 422
    assert refused.json()["errors"] == ["[1].x: Extra inputs are not permitted"]

    # A 202 means acknowledged: the topic holds them now, the reply in its root's partition.
    on_topic = _on_topic(kafka_bootstrap, topics)
    assert sorted(on_topic) == [f"{run}-1", f"{run}-3"]
    assert on_topic[f"{run}-1"] == on_topic[f"{run}-3"]


def test_a_broker_stopped_during_a_burst_means_503s_and_loses_nothing_acknowledged(
    tmp_path: Path,
) -> None:
    topics = Topics()
    with (
        infra.kafka_server() as (bootstrap, kafka),
        _webhook(
            bootstrap=bootstrap, topics=topics, log=tmp_path / "webhook.log", ack_timeout_s=2
        ) as url,
    ):
        acknowledged: list[str] = []
        statuses: list[int] = []
        stop = threading.Event()

        def burst() -> None:
            n = 0
            while not stop.is_set():
                ids = [f"b{n}-{i}" for i in range(10)]
                n += 1
                try:
                    answer = _post(url, [{"id": i, "text": "acme burst"} for i in ids])
                except httpx.TransportError:
                    statuses.append(0)
                    continue
                statuses.append(answer.status_code)
                if answer.status_code == 202:
                    assert answer.json()["accepted"] == ids
                    acknowledged.extend(ids)
                else:
                    assert answer.status_code == 503, answer.text
                    assert answer.headers["retry-after"] == "5"

        sender = threading.Thread(target=burst)
        sender.start()
        try:
            _wait(lambda: len(acknowledged) >= 100, "202s before the outage")
            kafka.stop()
            _wait(lambda: statuses.count(503) >= 3, "503s while the broker is down")
            before_restart = len(acknowledged)
            kafka.start()
            _wait(lambda: len(acknowledged) >= before_restart + 100, "202s after the restart")
        finally:
            stop.set()
            sender.join(60)
        assert 0 not in statuses  # the webhook itself never went away
        assert set(acknowledged) <= set(_on_topic(bootstrap, topics))


def _wait(check, what: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
