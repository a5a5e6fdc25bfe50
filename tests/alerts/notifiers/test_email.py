"""Email over SMTP against a real local aiosmtpd server."""

from __future__ import annotations

import pytest

from smileback.alerts.notifiers import EmailNotifier, NotifyError, email_message
from tests.alerts.factory import notification
from tests.support.infra import free_ports
from tests.support.smtp import SmtpSink


def notifier(port: int, *, to: list[str] | None = None) -> EmailNotifier:
    return EmailNotifier(
        host="127.0.0.1", port=port, sender="smileback@example.com", to=to or [], timeout_s=5
    )


def test_page_arrives_with_the_packet_and_threading_headers() -> None:
    with SmtpSink() as sink:
        notifier(sink.port).send(notification=notification(recipient="ana@example.com"))
        notifier(sink.port).send(
            notification=notification("resolve", actor="ana", recipient="ana@example.com")
        )
    page, resolved = sink.received()
    assert sink.envelopes[0] == ("smileback@example.com", ["ana@example.com"])
    assert page["Subject"] == "[critical] acme: @loud (250,000 followers)"
    assert page["Message-ID"] == "<inc_abc@smileback>"
    assert page["X-Smileback-Incident"] == "inc_abc"
    body = page.get_payload(decode=True).decode()
    for part in ("who: @loud", "what: Lost my order", "how to answer:"):
        assert part in body
    assert resolved["Subject"].startswith("[resolved]")
    assert resolved["In-Reply-To"] == "<inc_abc@smileback>"
    assert resolved["Message-ID"] == "<inc_abc.resolve.0@smileback>"


def test_without_a_responder_address_it_goes_to_the_configured_list() -> None:
    with SmtpSink() as sink:
        notifier(sink.port, to=["team@example.com"]).send(notification=notification())
    assert sink.envelopes == [("smileback@example.com", ["team@example.com"])]
    with pytest.raises(NotifyError, match="no recipient") as info:
        notifier(sink.port).send(notification=notification())
    assert info.value.permanent


@pytest.mark.parametrize(
    ("reply", "permanent"), [("451 try again later", False), ("554 rejected", True)]
)
def test_smtp_replies_decide_retry_or_dead_letter(reply: str, permanent: bool) -> None:
    with SmtpSink(replies=[reply]) as sink:
        with pytest.raises(NotifyError, match=reply[:3]) as info:
            notifier(sink.port).send(notification=notification(recipient="ana@example.com"))
        assert info.value.permanent is permanent
        notifier(sink.port).send(notification=notification(recipient="ana@example.com"))
    assert len(sink.received()) == 1


def test_no_server_is_retryable() -> None:
    (port,) = free_ports(count=1)
    with pytest.raises(NotifyError, match="ConnectionRefusedError") as info:
        notifier(port).send(notification=notification(recipient="ana@example.com"))
    assert not info.value.permanent


def test_escalation_levels_get_their_own_message_ids() -> None:
    second = email_message(notification=notification(level=2), sender="s@x", to=["a@x"])
    assert second["Message-ID"] == "<inc_abc.trigger.2@smileback>"
    assert second["References"] == "<inc_abc@smileback>"
    assert second["Subject"].startswith("[level 2] [critical] acme")
