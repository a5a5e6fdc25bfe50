"""Prints each notification with its whole context packet: for the demo and a terminal."""

from __future__ import annotations

from typing import TextIO

from smileback.alerts.notifiers.base import Notification, Notifier, NotifyError
from smileback.alerts.notifiers.text import render_text

__all__ = ["ConsoleNotifier"]


class ConsoleNotifier(Notifier):
    """Writes a readable block per notification to a text stream."""

    name = "console"

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def send(self, *, notification: Notification) -> None:
        try:
            self._stream.write(render_text(notification))
            self._stream.flush()
        except (OSError, ValueError) as exc:  # ValueError: the stream is closed
            raise NotifyError(f"console: {type(exc).__name__}") from exc
