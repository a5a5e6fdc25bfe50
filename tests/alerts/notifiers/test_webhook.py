"""Notifiers: Standard Webhooks signing (verified with the `standardwebhooks` library, as a
receiver would), the webhook against a real local HTTP server, HTTP failure rules,
the console text and the test double."""

from __future__ import annotations

import base64
import io
import json
import socket
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from smileback.alerts.notifiers import (
    ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    ConsoleNotifier,
    Notification,
    NotifyError,
    WebhookNotifier,
    webhook_id,
)
from smileback.alerts.notifiers.testing import RecordingNotifier
from smileback.alerts.notifiers.webhook import webhook_key
from smileback.common.errors import ConfigError, DeliveryError
from tests.alerts.factory import notification
from tests.support.receivers import Receiver

KEY = b"0123456789abcdef0123456789abcdef"
SECRET = "whsec_" + base64.b64encode(KEY).decode()
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


def captured(
    secret: str | None, *notifications: Notification, now: Callable[[], float] = time.time
) -> list[httpx.Request]:
    """The requests a notifier with `secret` makes for `notifications`."""
    seen: list[httpx.Request] = []
    client = httpx.Client(
        transport=httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(204))
    )
    notifier = WebhookNotifier(
        "https://hooks.example/p",
        SecretStr(secret) if secret is not None else None,
        client=client,
        now=now,
    )
    for n in notifications:
        notifier.send(notification=n)
    return seen


def verify(request: httpx.Request, secret: str | bytes = SECRET) -> object:
    """What a receiver using the `standardwebhooks` library makes of the request."""
    return Webhook(secret).verify(request.content, dict(request.headers))


class TestStandardWebhooks:
    def test_a_receiver_verifies_the_page_with_the_standard_library(self) -> None:
        (request,) = captured(SECRET, PAGE)
        assert verify(request) == json.loads(request.content)
        assert request.headers[SIGNATURE_HEADER].startswith("v1,")
        assert request.headers[ID_HEADER] == webhook_id(PAGE)
        assert abs(int(request.headers[TIMESTAMP_HEADER]) - time.time()) < 60

    def test_a_replay_after_five_minutes_is_refused_by_the_receiver(self) -> None:
        (request,) = captured(SECRET, PAGE, now=lambda: time.time() - 301)
        with pytest.raises(WebhookVerificationError, match="too old"):
            verify(request)
        (early,) = captured(SECRET, PAGE, now=lambda: time.time() + 301)
        with pytest.raises(WebhookVerificationError, match="too new"):
            verify(early)

    def test_a_changed_body_or_another_key_is_refused(self) -> None:
        (request,) = captured(SECRET, PAGE)
        tampered = httpx.Request(
            "POST", request.url, headers=request.headers, content=request.content + b" "
        )
        with pytest.raises(WebhookVerificationError, match="No matching signature"):
            verify(tampered)
        with pytest.raises(WebhookVerificationError, match="No matching signature"):
            verify(request, b"another-key-of-32-bytes-00000000")

    def test_every_retry_of_a_page_carries_its_id_and_other_pages_another(self) -> None:
        # The outbox hands a retry the notification it stored, as JSON.
        stored = Notification.model_validate_json(PAGE.model_dump_json())
        others = [
            notification(level=2),
            notification("acknowledge", responder="ana"),
            notification(at=PAGE.at + timedelta(microseconds=1)),
            notification(incident_id="inc_other"),
        ]
        first, retry, *rest = captured(SECRET, PAGE, stored, *others)
        assert first.headers[ID_HEADER] == retry.headers[ID_HEADER]
        assert verify(first) == verify(retry)  # both verify: a receiver drops one by its id
        ids = [first.headers[ID_HEADER], *(r.headers[ID_HEADER] for r in rest)]
        assert len(set(ids)) == len(ids)

    def test_a_plain_string_secret_is_the_key_as_is(self) -> None:
        (request,) = captured("a-plain-secret-of-24-byte", PAGE)
        assert verify(request, b"a-plain-secret-of-24-byte")

    @pytest.mark.parametrize(
        ("secret", "problem"),
        [
            ("", "SMILEBACK_WEBHOOK_SECRET is empty"),
            ("short", "SMILEBACK_WEBHOOK_SECRET: the key must be at least 16 bytes"),
            ("whsec_" + base64.b64encode(b"15 bytes of key").decode(), "at least 16 bytes"),
            ("whsec_not base64!", "SMILEBACK_WEBHOOK_SECRET: whsec_ must be followed by base64"),
        ],
    )
    def test_an_empty_short_or_garbled_secret_is_refused(self, secret: str, problem: str) -> None:
        with pytest.raises(ConfigError, match=problem) as info:
            WebhookNotifier("https://hooks.example/p", SecretStr(secret))
        if secret:
            assert secret not in str(info.value)

    def test_the_key_of_a_whsec_secret_is_its_base64(self) -> None:
        assert webhook_key(SecretStr(SECRET)) == KEY


class TestWebhook:
    def test_posts_signed_notification_to_real_server(self) -> None:
        with Receiver(secret=SECRET) as receiver:
            notifier = WebhookNotifier(receiver.url, SecretStr(SECRET), timeout_s=5)
            try:
                notifier.send(notification=PAGE)
            finally:
                notifier.close()
        assert receiver.rejected() == []
        assert receiver.log.webhook_ids == [webhook_id(PAGE)]
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
        with Receiver(secret=b"the-real-one-of-16+-bytes") as receiver:
            notifier = WebhookNotifier(receiver.url, SecretStr("a-wrong-one-of-16+-bytes"))
            with pytest.raises(NotifyError, match="HTTP 401") as info:
                notifier.send(notification=PAGE)
        assert info.value.permanent
        assert len(receiver.rejected()) == 1

    def test_headers_and_body_at_a_given_time(self) -> None:
        (request,) = captured(SECRET, notification("acknowledge", responder="ana"), now=lambda: NOW)
        assert request.headers[TIMESTAMP_HEADER] == "1750000000"
        assert request.headers["content-type"] == "application/json"
        body = json.loads(request.content)
        assert (body["event"], body["responder"]) == ("acknowledge", "ana")
        assert body["sent_at"] == "2025-06-15T15:06:40+00:00"
        assert "actor" not in body

    def test_a_notification_stored_with_actor_reads_its_responder(self) -> None:
        stored = notification("acknowledge", responder="ana").model_dump(mode="json")
        stored["actor"] = stored.pop("responder")  # as the outbox stored it before the rename
        assert Notification.model_validate_json(json.dumps(stored)).responder == "ana"

    def test_without_secret_sends_unsigned_but_with_its_id(self) -> None:
        (request,) = captured(None, PAGE)
        assert SIGNATURE_HEADER not in request.headers
        assert request.headers[ID_HEADER] == webhook_id(PAGE)

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
    ConsoleNotifier(out).send(notification=notification("resolve", responder="ana"))
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
