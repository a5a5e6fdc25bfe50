"""Exponential backoff with jitter: the one formula every retry in Smileback waits by."""

from __future__ import annotations

import random
from collections.abc import Callable

__all__ = ["Backoff", "backoff_delay"]


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
