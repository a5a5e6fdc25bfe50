"""Email over SMTP against a real local aiosmtpd server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from smileback.alerts.notifiers import EmailNotifier, NotifyError, email_message
from smileback.common.errors import ConfigError
from tests.alerts.factory import hostile_notification, notification
from tests.support.infra import free_ports
from tests.support.smtp import Certificate, SmtpSink

LOGIN = ("smileback", "smtp-password-not-for-logs")
PAGE = notification(recipient="ana@example.com")


def notifier(port: int, *, to: list[str] | None = None, **options: Any) -> EmailNotifier:
    """A notifier for a plaintext sink unless `options` say otherwise."""
    return EmailNotifier(
        host="127.0.0.1",
        port=port,
        sender="smileback@example.com",
        to=to or [],
        timeout_s=5,
        **({"starttls": False} | options),
    )


def with_login(port: int, **options: Any) -> EmailNotifier:
    """A notifier with the default STARTTLS setting and a login."""
    user, password = LOGIN
    return EmailNotifier(
        host="127.0.0.1",
        port=port,
        sender="smileback@example.com",
        to=[],
        timeout_s=5,
        username=user,
        password=SecretStr(password),
        **options,
    )


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return Certificate.make(Path(tmp_path_factory.mktemp("smtp-tls")))


def test_starttls_is_the_default_and_the_login_and_mail_go_over_it(
    certificate: Certificate,
) -> None:
    with SmtpSink(tls=certificate, login=LOGIN) as sink:
        with_login(sink.port, tls_context=certificate.client_context()).send(notification=PAGE)
    assert sink.logins == [(LOGIN[0], True)]
    assert sink.over_tls == [True]


def test_a_server_without_starttls_gets_neither_the_login_nor_the_mail() -> None:
    with (
        SmtpSink(login=LOGIN) as sink,
        pytest.raises(NotifyError, match="offers no STARTTLS; nothing sent") as info,
    ):
        with_login(sink.port).send(notification=PAGE)
    assert (sink.logins, sink.received()) == ([], [])
    assert not info.value.permanent  # the server may be fixed within the outbox's retries
    assert LOGIN[1] not in str(info.value)


def test_a_certificate_that_does_not_verify_gets_no_login(certificate: Certificate) -> None:
    with (
        SmtpSink(tls=certificate, login=LOGIN) as sink,
        pytest.raises(NotifyError, match="SSLCertVerificationError"),
    ):
        with_login(sink.port).send(notification=PAGE)  # the system's CAs: not trusted
    assert (sink.logins, sink.received()) == ([], [])


def test_a_plaintext_login_is_refused_unless_allowed() -> None:
    with pytest.raises(ConfigError, match="SMILEBACK_SMTP_PLAINTEXT_LOGIN=true") as info:
        with_login(1025, starttls=False)
    assert LOGIN[1] not in str(info.value)
    with SmtpSink(login=LOGIN) as sink:
        with_login(sink.port, starttls=False, plaintext_login=True).send(notification=PAGE)
    assert sink.logins == [(LOGIN[0], False)]
    assert sink.over_tls == [False]


def test_page_arrives_with_the_packet_and_threading_headers() -> None:
    with SmtpSink() as sink:
        notifier(sink.port).send(notification=notification(recipient="ana@example.com"))
        notifier(sink.port).send(
            notification=notification("resolve", responder="ana", recipient="ana@example.com")
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


def test_the_mail_names_a_post_link_only_when_it_is_https() -> None:
    def body(url: str) -> str:
        n = hostile_notification(url=url)
        return str(email_message(notification=n, sender="s@x", to=["a@x"]).get_content())

    assert "link:" not in body("javascript:alert(1)")
    assert "link: https://social.example/@loud/1" in body("https://social.example/@loud/1")
