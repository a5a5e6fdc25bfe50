"""`replay --speed`: publish mentions at a multiple of the pace they were posted at."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime

from smileback.common.errors import ConfigError
from smileback.common.events import Mention

__all__ = ["Pacer", "parse_speed"]


def parse_speed(value: str) -> float | None:
    """`max` (None: no pacing) or a positive factor; ConfigError otherwise."""
    if value.strip().lower() == "max":
        return None
    try:
        speed = float(value)
    except ValueError:
        speed = math.nan
    if not (math.isfinite(speed) and speed > 0):
        raise ConfigError(f"--speed must be 'max' or a positive number, not {value!r}")
    return speed


class Pacer:
    """Waits until each mention is due: the first goes at once, each later one when
    (its created_at - the first's) / speed has passed since. A mention older than one
    already sent goes at once: the input's order is kept, never re-sorted."""

    def __init__(
        self, *, speed: float, monotonic: Callable[[], float], sleep: Callable[[float], None]
    ) -> None:
        self._speed = speed
        self._monotonic = monotonic
        self._sleep = sleep
        self._start: tuple[datetime, float] | None = None

    def __call__(self, mention: Mention) -> None:
        """Sleep until `mention` is due."""
        if mention.created_at is None:
            return
        if self._start is None:
            self._start = (mention.created_at, self._monotonic())
            return
        first_at, first_wall = self._start
        due = first_wall + (mention.created_at - first_at).total_seconds() / self._speed
        delay = due - self._monotonic()
        if delay > 0:
            self._sleep(delay)
