"""`smileback ingest webhook` as its own process against the real broker: every answer over
HTTP, a broker stopped during a burst answers 503 without losing anything it took, and a
broker away at start is waited for while /readyz follows it."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from smileback.common.events import Mention, decode
from smileback.common.topics import Topics
from tests.support import infra
from tests.support.kafka import read_records, unique_topics
from tests.support.webhook_ingest import post, running_webhook


@pytest.fixture
def topics(kafka_bootstrap: str) -> Topics:
    return unique_topics(kafka_bootstrap, stem="it-webhook-")


@pytest.fixture
def webhook(kafka_bootstrap: str, topics: Topics, tmp_path: Path) -> Iterator[str]:
    log = tmp_path / "webhook.log"
    with running_webhook(bootstrap=kafka_bootstrap, topics=topics, log=log) as running:
        yield running.url


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
    answer = post(webhook, batch, msg_id=f"msg_{run}")
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"accepted": [f"{run}-1", f"{run}-3"], "unmatched": [f"{run}-2"]}

    replayed = post(webhook, batch, msg_id=f"msg_{run}")
    assert (replayed.status_code, replayed.json()["error"]) == (
        401,
        f"webhook-id 'msg_{run}' was already accepted",
    )
    assert post(webhook, batch, signature="v1,AAAA").status_code == 401
    expired = datetime.now(UTC) - timedelta(minutes=6)
    assert post(webhook, batch, at=expired).json() == {
        "error": "webhook-timestamp is more than 5 minutes from now"
    }
    assert post(webhook, batch, content_type="text/csv").status_code == 415
    assert post(webhook, b"[" + b" " * 1_000_001 + b"]").status_code == 413
    too_many = [{"id": f"{run}-n{i}", "text": "acme"} for i in range(501)]
    assert post(webhook, too_many).status_code == 413
    assert post(webhook, b'{"id": "x", "text": "caf\xe9"}').json() == {
        "error": "invalid UTF-8 at byte 24"
    }
    bad_item = [{"id": f"{run}-4", "text": "acme"}, {"id": f"{run}-5", "text": "acme", "x": 1}]
    refused = post(webhook, bad_item)
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
        running_webhook(
            bootstrap=bootstrap, topics=topics, log=tmp_path / "webhook.log", ack_timeout_s=2
        ) as running,
    ):
        url = running.url
        acknowledged: list[str] = []
        statuses: list[int] = []
        stop = threading.Event()

        def burst() -> None:
            n = 0
            while not stop.is_set():
                ids = [f"b{n}-{i}" for i in range(10)]
                n += 1
                try:
                    answer = post(url, [{"id": i, "text": "acme burst"} for i in ids])
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


def test_a_broker_away_at_start_is_waited_for_and_readyz_follows_the_broker(
    tmp_path: Path,
) -> None:
    log = tmp_path / "webhook.log"
    with infra.kafka_server() as (bootstrap, kafka):
        kafka.stop()
        with running_webhook(
            bootstrap=bootstrap, topics=Topics(), log=log, wait_ready=False
        ) as running:
            assert httpx.get(f"{running.base}/healthz").status_code == 200
            waiting = httpx.get(f"{running.base}/readyz")
            assert (waiting.status_code, waiting.json()["intake"]) == (503, "waiting for Kafka")
            batch = [{"id": "early-1", "text": "acme before the broker"}]
            early = post(running.url, batch, msg_id="msg_early")
            assert (early.status_code, early.headers["retry-after"]) == (503, "5")
            # At least one connection attempt has failed (not merely begun) before the broker
            # comes back: one still under way then would simply succeed.
            _wait(lambda: "Kafka not reachable; retrying" in log.read_text(), "a failed attempt")

            kafka.start()
            _wait(running.ready, "ready once the broker answers")
            assert post(running.url, batch, msg_id="msg_early").status_code == 202

            kafka.stop()
            _wait(lambda: not running.ready(), "not ready while the broker is down")
            down = httpx.get(f"{running.base}/readyz").json()
            assert down["status"] == "unavailable"
            assert down["kafka"] != "up"
            assert httpx.get(f"{running.base}/healthz").status_code == 200
            kafka.start()
            _wait(running.ready, "ready again once the broker is back")
            metrics = httpx.get(f"{running.base}/metrics").text
        assert (
            'smileback_ingest_webhook_rejected_requests_total{reason="starting",status="503"} 1.0'
            in metrics
        )
        assert "smileback_ingest_webhook_accepted_mentions_total 1.0" in metrics
        assert "smileback_ingest_webhook_request_seconds_bucket" in metrics
        assert "early-1" in _on_topic(bootstrap, Topics())
    assert "Traceback" not in log.read_text()


def _wait(check, what: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
