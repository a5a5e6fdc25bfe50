"""Health, readiness, the caller's identity, volume statistics and who is on call."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from smileback.api.schemas.base import Out

__all__ = [
    "Interval",
    "Liveness",
    "OnCallNow",
    "OnCallOut",
    "OnCallResponder",
    "Ping",
    "Readiness",
    "StatsOut",
    "StatsPoint",
    "StatsSeries",
]


class Liveness(Out):
    status: str


class Readiness(Out):
    """Each dependency: "ok", "not configured", or what is wrong."""

    status: str
    database: str
    kafka: str


class Ping(Out):
    ok: bool
    key_id: str
    name: str
    scope: str
    responder: str | None = None  # whose actions the key takes (none: it acts for no one)


class Interval(StrEnum):
    MINUTE = "1m"
    FIVE_MINUTES = "5m"
    QUARTER_HOUR = "15m"
    HOUR = "1h"
    SIX_HOURS = "6h"
    DAY = "1d"

    @property
    def seconds(self) -> int:
        """The interval's length."""
        number, unit = int(self.value[:-1]), self.value[-1]
        return number * {"m": 60, "h": 3600, "d": 86400}[unit]


class StatsPoint(Out):
    start: datetime
    volume: int
    negative: int
    negative_share: float | None  # null when there is no volume


class StatsSeries(Out):
    brand: str | None
    points: list[StatsPoint]


class StatsOut(Out):
    interval: Interval
    since: datetime
    until: datetime
    series: list[StatsSeries]


class OnCallResponder(Out):
    id: str
    name: str
    email: str | None
    slack: str | None


class OnCallNow(Out):
    """One schedule and who is on call in it (null: a gap in the schedule)."""

    schedule: str
    responder: OnCallResponder | None


class OnCallOut(Out):
    """Who is on call at `at`, per schedule; `configured` is false without an on-call file."""

    at: datetime
    configured: bool
    schedules: list[OnCallNow]
