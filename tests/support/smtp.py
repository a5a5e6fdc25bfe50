"""A local SMTP server (aiosmtpd) for tests: keeps messages, can answer with errors first,
offer STARTTLS with a throwaway certificate, and take a login (over plaintext too, so a
test sees whether the client refuses it)."""

from __future__ import annotations

import ssl
import subprocess
import threading
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.infra import free_ports


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files."""

    cert: Path
    key: Path

    @classmethod
    def make(cls, directory: Path) -> Certificate:
        """A fresh one in `directory` (openssl, valid for a day)."""
        cert, key = directory / "smtp-cert.pem", directory / "smtp-key.pem"
        new = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        subject = ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        subprocess.run(
            ["openssl", *new, *subject, "-keyout", str(key), "-out", str(cert)],
            check=True,
            capture_output=True,
        )
        return cls(cert=cert, key=key)

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this certificate (and verifies it as usual)."""
        return ssl.create_default_context(cafile=str(self.cert))


class SmtpSink:
    """Accepts mail on 127.0.0.1; the first replies can be forced with `replies`. With `tls`
    it offers STARTTLS; with `login` it offers AUTH (also without TLS) and records each
    attempt as (user, over TLS)."""

    def __init__(
        self,
        *,
        replies: list[str] | None = None,
        tls: Certificate | None = None,
        login: tuple[str, str] | None = None,
    ) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.over_tls: list[bool] = []  # per accepted message
        self.logins: list[tuple[str, bool]] = []
        self.replies = list(replies or [])
        self.lock = threading.Lock()
        self._login = login
        (self.port,) = free_ports(count=1)
        options: dict[str, Any] = {}
        if tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(tls.cert, tls.key)
            options["tls_context"] = context
        if login is not None:
            options.update(authenticator=self._authenticate, auth_require_tls=False)
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.replies:
                return self.replies.pop(0)
            self.messages.append(message_from_bytes(envelope.content))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.over_tls.append(session.ssl is not None)
        return "250 Message accepted for delivery"

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode()
        with self.lock:
            self.logins.append((user, session.ssl is not None))
        ok = self._login == (user, auth_data.password.decode())
        return AuthResult(success=ok, handled=False)

    def received(self) -> list[Message]:
        with self.lock:
            return list(self.messages)

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._controller.stop()
