"""A clock for tests that moves only when told to."""

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
