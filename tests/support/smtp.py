"""A local SMTP server (aiosmtpd) for tests: keeps messages, can answer with errors first."""

from __future__ import annotations

import threading
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.infra import free_ports


class SmtpSink:
    """Accepts mail on 127.0.0.1; the first replies can be forced with `replies`."""

    def __init__(self, *, replies: list[str] | None = None) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.replies = list(replies or [])
        self.lock = threading.Lock()
        (self.port,) = free_ports(count=1)
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.replies:
                return self.replies.pop(0)
            self.messages.append(message_from_bytes(envelope.content))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def received(self) -> list[Message]:
        with self.lock:
            return list(self.messages)

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._controller.stop()
