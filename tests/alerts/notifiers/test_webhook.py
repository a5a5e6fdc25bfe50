"""Notifiers: signing, the webhook against a real local HTTP server, HTTP failure rules,
the console text and the test double."""

from __future__ import annotations

import io
import json
import socket
import time
from datetime import datetime

import httpx
import pytest
from pydantic import SecretStr

from smileback.alerts.notifiers import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    ConsoleNotifier,
    NotifyError,
    WebhookNotifier,
    sign,
    verify_signature,
)
from smileback.alerts.notifiers.testing import RecordingNotifier
from smileback.common.errors import ConfigError, DeliveryError
from tests.alerts.factory import notification
from tests.support.receivers import Receiver

SECRET = "s3cr3t-do-not-leak"
NOW = 1_750_000_000.0
PAGE = notification()


def refused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook?token=urltoken"


def mock_client(status: int, headers: dict[str, str] | None = None) -> httpx.Client:
    return httpx.Client(
        transport=httpx.MockTransport(lambda r: httpx.Response(status, headers=headers))
    )


class TestSignature:
    def test_valid_signature_verifies(self) -> None:
        sig = sign(secret=b"k", timestamp="1750000000", body=b'{"a":1}')
        assert sig.startswith("v1=")
        assert verify_signature(
            secret=b"k", timestamp="1750000000", body=b'{"a":1}', signature=sig, now=NOW + 10
        )

    def test_tampered_body_or_wrong_secret_fails(self) -> None:
        sig = sign(secret=b"k", timestamp="1750000000", body=b'{"a":1}')
        assert not verify_signature(
            secret=b"k", timestamp="1750000000", body=b'{"a":2}', signature=sig, now=NOW
        )
        assert not verify_signature(
            secret=b"other", timestamp="1750000000", body=b'{"a":1}', signature=sig, now=NOW
        )

    def test_stale_future_or_changed_timestamp_fails(self) -> None:
        sig = sign(secret=b"k", timestamp="1750000000", body=b"x")
        for now in (NOW + 301, NOW - 301):
            assert not verify_signature(
                secret=b"k", timestamp="1750000000", body=b"x", signature=sig, now=now
            )
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
    def test_posts_signed_notification_to_real_server(self) -> None:
        with Receiver(secret=SECRET.encode()) as receiver:
            notifier = WebhookNotifier(receiver.url, SecretStr(SECRET), timeout_s=5)
            try:
                notifier.send(notification=PAGE)
            finally:
                notifier.close()
        assert receiver.rejected() == []
        (body,) = receiver.pages()
        assert body["event"] == "trigger"
        assert body["dedup_key"] == "inc_abc"
        assert body["severity"] == "critical"
        assert body["summary"] == PAGE.summary
        assert body["level"] == 1
        assert body["responders"][0]["id"] == "ana"
        assert body["context"]["who"]["handle"] == "@loud"
        assert abs(datetime.fromisoformat(body["sent_at"]).timestamp() - time.time()) < 60

    def test_receiver_rejects_a_wrong_secret_permanently(self) -> None:
        with Receiver(secret=b"the-real-one") as receiver:
            notifier = WebhookNotifier(receiver.url, SecretStr("a-wrong-one"), timeout_s=5)
            with pytest.raises(NotifyError, match="HTTP 401") as info:
                notifier.send(notification=PAGE)
        assert info.value.permanent
        assert len(receiver.rejected()) == 1

    def test_headers_and_signature_through_a_mock_transport(self) -> None:
        seen: list[httpx.Request] = []

        def app(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(204)

        client = httpx.Client(transport=httpx.MockTransport(app))
        WebhookNotifier(
            "https://hooks.example/p", SecretStr(SECRET), client=client, now=lambda: NOW
        ).send(notification=notification("acknowledge", actor="ana"))
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
        body = json.loads(request.content)
        assert (body["event"], body["actor"]) == ("acknowledge", "ana")
        assert body["sent_at"] == "2025-06-15T15:06:40+00:00"

    def test_without_secret_sends_unsigned(self) -> None:
        seen: list[httpx.Request] = []
        client = httpx.Client(
            transport=httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(200))
        )
        WebhookNotifier("https://hooks.example/p", None, client=client).send(notification=PAGE)
        assert SIGNATURE_HEADER not in seen[0].headers

    @pytest.mark.parametrize(
        ("status", "permanent"),
        [
            (500, False),
            (503, False),
            (429, False),
            (408, False),
            (404, True),
            (400, True),
            (302, True),
        ],
    )
    def test_status_decides_retry_or_dead_letter(self, status: int, permanent: bool) -> None:
        notifier = WebhookNotifier(
            "https://hooks.example/p?token=urltoken", SecretStr(SECRET), client=mock_client(status)
        )
        with pytest.raises(NotifyError, match=f"HTTP {status}") as info:
            notifier.send(notification=PAGE)
        assert info.value.permanent is permanent
        assert SECRET not in str(info.value)
        assert "urltoken" not in str(info.value)

    def test_retry_after_is_passed_on(self) -> None:
        notifier = WebhookNotifier(
            "https://h.example/", None, client=mock_client(429, {"Retry-After": "17"})
        )
        with pytest.raises(NotifyError) as info:
            notifier.send(notification=PAGE)
        assert info.value.retry_after_s == 17.0

    def test_connection_refused_is_retryable_without_secrets(self) -> None:
        notifier = WebhookNotifier(refused_url(), SecretStr(SECRET), timeout_s=2)
        with pytest.raises(NotifyError, match="ConnectError") as info:
            notifier.send(notification=PAGE)
        notifier.close()
        assert not info.value.permanent
        assert "urltoken" not in str(info.value)
        assert info.value.__cause__ is None

    def test_timeout_is_retryable(self) -> None:
        def app(request: httpx.Request) -> httpx.Response:
            raise httpx.ReadTimeout("slow", request=request)

        client = httpx.Client(transport=httpx.MockTransport(app))
        with pytest.raises(NotifyError, match="ReadTimeout") as info:
            WebhookNotifier("https://h.example/", None, client=client).send(notification=PAGE)
        assert not info.value.permanent

    def test_repr_hides_secret_and_url_path(self) -> None:
        notifier = WebhookNotifier(
            "https://hooks.example/T0/B1/tok?sig=urltoken", SecretStr(SECRET)
        )
        text = repr(notifier)
        notifier.close()
        assert "hooks.example" in text
        for hidden in (SECRET, "urltoken", "/T0/B1"):
            assert hidden not in text

    @pytest.mark.parametrize("url", ["ftp://hooks.example/x", "not a url", "http://"])
    def test_bad_url_is_config_error(self, url: str) -> None:
        with pytest.raises(ConfigError):
            WebhookNotifier(url, None)


def test_console_prints_the_whole_packet() -> None:
    out = io.StringIO()
    ConsoleNotifier(out).send(notification=PAGE)
    text = out.getvalue()
    assert text.startswith("PAGE [critical] inc_abc level 1\n")
    assert PAGE.summary in text
    for part in (
        "who: @loud",
        "what: Lost my order",
        "why: large audience complaint",
        "thread:",
        "similar complaints",
        "how to answer:",
        "for: Ana",
    ):
        assert part in text, part
    out = io.StringIO()
    ConsoleNotifier(out).send(notification=notification("resolve", actor="ana"))
    assert out.getvalue().startswith("RESOLVED inc_abc by ana\n")


def test_console_on_closed_stream_is_delivery_error() -> None:
    out = io.StringIO()
    out.close()
    with pytest.raises(DeliveryError):
        ConsoleNotifier(out).send(notification=PAGE)


def test_recording_notifier_fails_then_records() -> None:
    notifier = RecordingNotifier(fail_times=2)
    for _ in range(2):
        with pytest.raises(DeliveryError):
            notifier.send(notification=PAGE)
    notifier.send(notification=PAGE)
    assert notifier.sent == [PAGE]
    assert notifier.attempts == 3


def test_notification_redaction_removes_the_headline_post() -> None:
    redacted = PAGE.redacted(mention_id="root")
    assert "Lost my order" not in redacted.model_dump_json()
    assert "@loud" not in redacted.model_dump_json()
    assert "deleted" in redacted.summary
    assert PAGE.redacted(mention_id="other") is PAGE
