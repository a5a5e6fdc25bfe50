"""Email over SMTP (smtplib): one plain-text message per notification.

The connection is upgraded with STARTTLS (the server's certificate checked) before the
login and the message, unless STARTTLS is turned off; a server that offers no STARTTLS gets
nothing. The password never crosses in plaintext unless that is allowed explicitly.
Message-ID is derived from the incident, kind and level, and follow-ups reference the
first page, so mail clients thread them and a resent message can be recognised.
SMTP 4xx replies and lost connections are retried; 5xx replies are dead-lettered.
"""

from __future__ import annotations

import smtplib
import ssl
from datetime import UTC
from email.message import EmailMessage

from pydantic import SecretStr

from smileback.alerts.notifiers.base import Notification, NotificationKind, Notifier, NotifyError
from smileback.alerts.notifiers.text import render_text
from smileback.common.errors import ConfigError
from smileback.common.packet import clip

__all__ = ["EmailNotifier", "email_message"]

_SUBJECT_CHARS = 200


def email_message(*, notification: Notification, sender: str, to: list[str]) -> EmailMessage:
    """The email for one notification."""
    n = notification
    msg = EmailMessage()
    prefix = {
        NotificationKind.TRIGGER: f"[level {n.level}] " if (n.level or 1) > 1 else "",
        NotificationKind.ACKNOWLEDGE: "[acknowledged] ",
        NotificationKind.RESOLVE: "[resolved] ",
        NotificationKind.DIGEST: "[smile-back] ",
        NotificationKind.TAKEN_OVER: f"[taken over by {n.responder}] ",
    }[n.kind]
    msg["Subject"] = clip(prefix + n.summary, _SUBJECT_CHARS)  # the summary names the severity
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    anchor = f"<{n.incident_id}@smileback>"
    first = n.kind is NotificationKind.TRIGGER and (n.level or 1) == 1
    msg["Message-ID"] = anchor if first else f"<{n.incident_id}.{n.kind}.{n.level or 0}@smileback>"
    if n.kind is NotificationKind.DIGEST:  # each digest its own message, answering nothing
        msg.replace_header("Message-ID", f"<{n.incident_id}.{n.at.timestamp():.0f}@smileback>")
    elif not first:
        msg["In-Reply-To"] = anchor
        msg["References"] = anchor
    if n.kind is NotificationKind.TAKEN_OVER:  # an incident may be taken over more than once
        msg.replace_header(
            "Message-ID",
            f"<{n.incident_id}.{n.kind}.{n.at.astimezone(UTC):%Y%m%dT%H%M%S%fZ}@smileback>",
        )
    msg["X-Smileback-Incident"] = n.incident_id
    # The take-over's text carries the link itself: the console shows the same text.
    link = n.link if n.kind is not NotificationKind.TAKEN_OVER else None
    msg.set_content(render_text(n) + (f"\nIncident: {link}\n" if link else ""))
    return msg


class EmailNotifier(Notifier):
    """Sends through one SMTP server; the recipient comes with the notification, else `to`."""

    name = "email"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        to: list[str],
        timeout_s: float = 10.0,
        starttls: bool = True,
        plaintext_login: bool = False,
        username: str | None = None,
        password: SecretStr | None = None,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        if username and password is not None and not starttls and not plaintext_login:
            raise ConfigError(
                "SMILEBACK_SMTP_USERNAME with SMILEBACK_SMTP_STARTTLS=false would send the SMTP"
                " password in plaintext: turn STARTTLS on, or set"
                " SMILEBACK_SMTP_PLAINTEXT_LOGIN=true to allow it"
            )
        self._host, self._port = host, port
        self._sender, self._to = sender, list(to)
        self._timeout_s = timeout_s
        self._starttls = starttls
        self._username, self._password = username, password
        self._tls_context = tls_context or ssl.create_default_context()

    def __repr__(self) -> str:
        return f"EmailNotifier(host={self._host!r}, port={self._port})"

    def send(self, *, notification: Notification) -> None:
        to = [notification.recipient] if notification.recipient else self._to
        if not to:
            raise NotifyError(
                "email: no recipient (no responder email, no SMTP_TO)", permanent=True
            )
        msg = email_message(notification=notification, sender=self._sender, to=to)
        where = f"email {self._host}:{self._port}"
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout_s) as smtp:
                if self._starttls:
                    self._upgrade(smtp, where=where)
                if self._username and self._password is not None:
                    smtp.login(self._username, self._password.get_secret_value())
                smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise NotifyError(
                f"{where}: recipients refused ({', '.join(map(str, codes))})",
                permanent=all(code >= 500 for code in codes),
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise NotifyError(
                f"{where}: SMTP {exc.smtp_code}", permanent=exc.smtp_code >= 500
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise NotifyError(f"{where}: {type(exc).__name__}") from None

    def _upgrade(self, smtp: smtplib.SMTP, *, where: str) -> None:
        """STARTTLS, or NotifyError (retried: the server may be fixed) when it is not offered."""
        try:
            smtp.starttls(context=self._tls_context)
        except smtplib.SMTPNotSupportedError:
            raise NotifyError(
                f"{where}: the server offers no STARTTLS; nothing sent"
                " (SMILEBACK_SMTP_STARTTLS=false would send in plaintext)"
            ) from None
