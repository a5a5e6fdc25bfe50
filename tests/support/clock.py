"""Clocks for tests that move only when told to."""

from __future__ import annotations

from datetime import datetime, timedelta


class FakeClock:
    """Callable like `utc_now`; `advance` moves it forward."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
