"""Notifiers: signing, the webhook against a real local HTTP server, console and the double."""

from __future__ import annotations

import io
import json
import socket
import time
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import SecretStr

from smileback.alerts.notifiers import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    ConsoleNotifier,
    Page,
    WebhookNotifier,
    sign,
    verify_signature,
)
from smileback.alerts.notifiers_testing import RecordingNotifier
from smileback.common.errors import ConfigError, DeliveryError
from smileback.common.events import Severity
from tests.alerts.receiver import WebhookReceiver

SECRET = "s3cr3t-do-not-leak"
NOW = 1_750_000_000.0
PAGE = Page(
    incident_id="inc_abc",
    summary="[critical] acme: @loud (250,000 followers)",
    severity=Severity.CRITICAL,
    context={
        "author_handle": "loud",
        "negativity": 0.93,
        "reach_tier": "macro",
        "url": "https://x/1",
    },
    at=datetime(2025, 3, 1, 12, 0, tzinfo=UTC),
)


def refused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook?token=urltoken"


class TestSignature:
    def test_valid_signature_verifies(self) -> None:
        sig = sign(secret=b"k", timestamp="1750000000", body=b'{"a":1}')
        assert sig.startswith("v1=")
        assert verify_signature(
            secret=b"k", timestamp="1750000000", body=b'{"a":1}', signature=sig, now=NOW + 10
        )

    def test_tampered_body_fails(self) -> None:
        sig = sign(secret=b"k", timestamp="1750000000", body=b'{"a":1}')
        assert not verify_signature(
            secret=b"k", timestamp="1750000000", body=b'{"a":2}', signature=sig, now=NOW
        )

    def test_wrong_secret_fails(self) -> None:
        sig = sign(secret=b"k", timestamp="1750000000", body=b"x")
        assert not verify_signature(
            secret=b"other", timestamp="1750000000", body=b"x", signature=sig, now=NOW
        )

    def test_stale_or_future_timestamp_fails(self) -> None:
        sig = sign(secret=b"k", timestamp="1750000000", body=b"x")
        for now in (NOW + 301, NOW - 301):
            assert not verify_signature(
                secret=b"k", timestamp="1750000000", body=b"x", signature=sig, now=now
            )
        assert verify_signature(
            secret=b"k",
            timestamp="1750000000",
            body=b"x",
            signature=sig,
            now=NOW + 301,
            tolerance_s=600,
        )

    def test_timestamp_is_part_of_the_signature(self) -> None:
        sig = sign(secret=b"k", timestamp="1750000000", body=b"x")
        assert not verify_signature(
            secret=b"k", timestamp="1750000001", body=b"x", signature=sig, now=NOW
        )

    @pytest.mark.parametrize("timestamp", ["", "soon", "1.5e9"])
    def test_garbage_timestamp_fails(self, timestamp: str) -> None:
        sig = sign(secret=b"k", timestamp=timestamp, body=b"x")
        assert not verify_signature(
            secret=b"k", timestamp=timestamp, body=b"x", signature=sig, now=NOW
        )


class TestWebhook:
    def test_posts_signed_page_to_real_server(self) -> None:
        with WebhookReceiver(secret=SECRET.encode()) as receiver:
            notifier = WebhookNotifier(receiver.url, SecretStr(SECRET), timeout_s=5)
            try:
                notifier.send(page=PAGE)
            finally:
                notifier.close()
        assert receiver.received.rejected == []
        (body,) = receiver.received.pages()
        assert set(body) == {"dedup_key", "summary", "severity", "context", "sent_at"}
        assert body["dedup_key"] == "inc_abc"
        assert body["severity"] == "critical"
        assert body["summary"] == PAGE.summary
        assert body["context"]["negativity"] == 0.93
        assert abs(datetime.fromisoformat(body["sent_at"]).timestamp() - time.time()) < 60

    def test_receiver_rejects_a_wrong_secret(self) -> None:
        with WebhookReceiver(secret=b"the-real-one") as receiver:
            notifier = WebhookNotifier(receiver.url, SecretStr("a-wrong-one"), timeout_s=5)
            with pytest.raises(DeliveryError, match="HTTP 401"):
                notifier.send(page=PAGE)
        assert receiver.received.pages() == []
        assert len(receiver.received.rejected) == 1

    def test_headers_and_signature_through_a_mock_transport(self) -> None:
        seen: list[httpx.Request] = []

        def app(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(204)

        client = httpx.Client(transport=httpx.MockTransport(app))
        WebhookNotifier(
            "https://hooks.example/p", SecretStr(SECRET), client=client, now=lambda: NOW
        ).send(page=PAGE)
        (request,) = seen
        assert request.headers[TIMESTAMP_HEADER] == "1750000000"
        assert request.headers["content-type"] == "application/json"
        assert verify_signature(
            secret=SECRET.encode(),
            timestamp=request.headers[TIMESTAMP_HEADER],
            body=request.content,
            signature=request.headers[SIGNATURE_HEADER],
            now=NOW,
        )
        assert json.loads(request.content)["sent_at"] == "2025-06-15T15:06:40+00:00"

    def test_without_secret_sends_unsigned(self) -> None:
        seen: list[httpx.Request] = []
        client = httpx.Client(
            transport=httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(200))
        )
        WebhookNotifier("https://hooks.example/p", None, client=client).send(page=PAGE)
        assert SIGNATURE_HEADER not in seen[0].headers

    @pytest.mark.parametrize("status", [500, 404, 302])
    def test_non_2xx_is_delivery_error_with_status(self, status: int) -> None:
        client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(status)))
        notifier = WebhookNotifier(
            "https://hooks.example/p?token=urltoken", SecretStr(SECRET), client=client
        )
        with pytest.raises(DeliveryError, match=f"HTTP {status}") as info:
            notifier.send(page=PAGE)
        assert SECRET not in str(info.value)
        assert "urltoken" not in str(info.value)

    def test_connection_refused_is_delivery_error_without_secrets(self) -> None:
        notifier = WebhookNotifier(refused_url(), SecretStr(SECRET), timeout_s=2)
        with pytest.raises(DeliveryError, match="ConnectError") as info:
            notifier.send(page=PAGE)
        notifier.close()
        assert SECRET not in str(info.value)
        assert "urltoken" not in str(info.value)
        assert info.value.__cause__ is None

    def test_timeout_is_delivery_error(self) -> None:
        def app(request: httpx.Request) -> httpx.Response:
            raise httpx.ReadTimeout("slow", request=request)

        client = httpx.Client(transport=httpx.MockTransport(app))
        with pytest.raises(DeliveryError, match="ReadTimeout"):
            WebhookNotifier("https://h.example/", None, client=client).send(page=PAGE)

    def test_repr_hides_secret_and_url_path(self) -> None:
        notifier = WebhookNotifier(
            "https://hooks.example/T0/B1/tok?sig=urltoken", SecretStr(SECRET)
        )
        text = repr(notifier)
        notifier.close()
        assert "hooks.example" in text
        assert SECRET not in text
        assert "urltoken" not in text
        assert "/T0/B1" not in text

    @pytest.mark.parametrize("url", ["ftp://hooks.example/x", "not a url", "http://"])
    def test_bad_url_is_config_error(self, url: str) -> None:
        with pytest.raises(ConfigError):
            WebhookNotifier(url, None)


def test_console_prints_a_short_block() -> None:
    out = io.StringIO()
    ConsoleNotifier(out).send(page=PAGE)
    text = out.getvalue()
    assert text.startswith("PAGE [critical] inc_abc\n")
    assert PAGE.summary in text
    assert "negativity 0.93, reach macro, velocity ?" in text
    assert "link: https://x/1" in text


def test_console_on_closed_stream_is_delivery_error() -> None:
    out = io.StringIO()
    out.close()
    with pytest.raises(DeliveryError):
        ConsoleNotifier(out).send(page=PAGE)


def test_recording_notifier_fails_then_records() -> None:
    notifier = RecordingNotifier(fail_times=2)
    for _ in range(2):
        with pytest.raises(DeliveryError):
            notifier.send(page=PAGE)
    notifier.send(page=PAGE)
    assert notifier.pages == [PAGE]
    assert notifier.attempts == 3


def test_page_json_round_trips_the_fields() -> None:
    body = json.loads(PAGE.to_json())
    assert body == {
        "dedup_key": "inc_abc",
        "summary": PAGE.summary,
        "severity": "critical",
        "context": dict(PAGE.context),
        "at": "2025-03-01T12:00:00+00:00",
    }
