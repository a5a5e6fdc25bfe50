"""Exponential backoff with jitter: the one formula every retry in Smileback waits by."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import TypeVar

import structlog

__all__ = ["Backoff", "backoff_delay", "when_reachable"]

log = structlog.get_logger(__name__)

_T = TypeVar("_T")


def backoff_delay(*, attempt: int, backoff_s: float, jitter: float, cap_s: float) -> float:
    """Seconds to wait after failed attempt `attempt` (1-based); `jitter` in [0, 1)."""
    base = min(cap_s, backoff_s * 2.0 ** max(attempt - 1, 0))
    # Half fixed, half random: spreads retries of many clients without ever waiting 0 s.
    return base / 2 + base / 2 * jitter


class Backoff:
    """The delays of one outage: each failure waits longer, up to `cap_s`; `reset` on success."""

    def __init__(
        self, *, base_s: float = 0.5, cap_s: float = 30.0, rng: Callable[[], float] = random.random
    ) -> None:
        self._base_s, self._cap_s, self._rng = base_s, cap_s, rng
        self._attempt = 0

    @property
    def attempt(self) -> int:
        """Failures since the last success."""
        return self._attempt

    def next(self) -> float:
        """Count one more failure and return how long to wait before trying again."""
        self._attempt += 1
        return backoff_delay(
            attempt=self._attempt, backoff_s=self._base_s, jitter=self._rng(), cap_s=self._cap_s
        )

    def reset(self) -> None:
        """The dependency answered: the next outage starts from the shortest wait again."""
        self._attempt = 0


def when_reachable(
    attempt: Callable[[], _T],
    *,
    dependency: str,
    errors: tuple[type[Exception], ...],
    stop: threading.Event,
    first_delay_s: float = 1.0,
    max_delay_s: float = 30.0,
    waiting: Callable[[], None] | None = None,
) -> _T | None:
    """`attempt()` until it does not raise one of `errors`, waiting with backoff between
    tries (one warning line each, no traceback); None if `stop` is set first. `waiting` is
    called before each wait (a worker's heartbeat: waiting on purpose is not a stall)."""
    delay = first_delay_s
    while True:
        try:
            return attempt()
        except errors as exc:
            log.warning(
                f"{dependency} not reachable; retrying",
                error_type=type(exc).__name__,
                delay_s=delay,
            )
            if waiting is not None:
                waiting()
            if stop.wait(delay):
                return None
            delay = min(max_delay_s, delay * 2)
