"""The Faust worker that runs the scorer, with a bound on how long it may take to stop.

A clean stop flushes the producer and commits, which needs the broker: with the broker
gone, aiokafka retries its requests and the stop never ends, so a worker told to stop would
hang until something kills it. Past `stop_within_s` the worker exits on its own instead.
That loses nothing: what it had not committed is read again by whichever worker owns the
partitions next, and state is not counted twice (the cores' seen-id checks).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from typing import Any

import faust
import structlog

__all__ = ["EXIT_STOP_TIMED_OUT", "ScorerWorker", "exit_after"]

log = structlog.get_logger(__name__)

# Not 0: the worker did not stop cleanly.
EXIT_STOP_TIMED_OUT = 3


def exit_after(seconds: float, *, exit_process: Callable[[int], Any] = os._exit) -> threading.Timer:
    """Exit the process in `seconds` unless it has ended by then (a daemon timer)."""

    def give_up() -> None:
        log.error("scorer stop timed out: exiting without a clean stop", after_s=seconds)
        exit_process(EXIT_STOP_TIMED_OUT)

    timer = threading.Timer(seconds, give_up)
    timer.daemon = True
    timer.start()
    return timer


class ScorerWorker(faust.Worker):
    """A Faust worker that exits within `stop_within_s` of SIGTERM or SIGINT."""

    def __init__(self, app: faust.App, *, stop_within_s: float, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._stop_within_s = stop_within_s
        self._deadline: threading.Timer | None = None

    def _schedule_shutdown(self, signal: signal.Signals) -> None:
        if self._deadline is None:
            self._deadline = exit_after(self._stop_within_s)
        super()._schedule_shutdown(signal)
