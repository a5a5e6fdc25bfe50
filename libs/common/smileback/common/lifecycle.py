"""Graceful stop for long-running services."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import structlog

__all__ = ["stop_on_signals"]

log = structlog.get_logger(__name__)


def stop_on_signals(stop: threading.Event | None = None) -> threading.Event:
    """Make SIGTERM and SIGINT set `stop` (a new Event if none), so loops end cleanly."""
    event = stop or threading.Event()
    if threading.current_thread() is not threading.main_thread():
        return event  # signal handlers can only be installed from the main thread

    def handle(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", signal=signal.Signals(signum).name)
        event.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, handle)
    return event
