"""Who is on call at an instant. Pure: a schedule and an aware datetime in, a responder out.

Handoffs follow the schedule's wall clock: a daily 09:00 handoff in Europe/Berlin happens
at 09:00 local on both sides of a daylight-saving change, so the shift spanning the change
is an hour shorter or longer in real time. A handoff at a local time the spring change
skips happens at the instant that time would have had before the change (02:30 becomes
03:30 local). Precedence: the last matching override, then the last layer that has
someone on call at that instant (a restricted layer leaves its gaps to earlier layers).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from smileback.common.oncall.model import WEEKDAYS, Layer, OnCallConfig, Responder, Schedule

__all__ = ["layer_on_call", "on_call_at", "who_is_on_call"]


def on_call_at(*, schedule: Schedule, at: datetime) -> Responder | None:
    """The responder on call in `schedule` at the aware instant `at`, or None for a gap."""
    if at.tzinfo is None:
        raise ValueError("`at` must be timezone-aware")
    tz = schedule.tz
    for override in reversed(schedule.overrides):
        start = _aware(override.start, tz)
        end = _aware(override.end, tz)
        if start <= at < end:
            return override.user
    for layer in reversed(schedule.layers):
        responder = layer_on_call(layer=layer, tz=tz, at=at)
        if responder is not None:
            return responder
    return None


def who_is_on_call(*, config: OnCallConfig, at: datetime) -> dict[str, Responder | None]:
    """Every schedule's responder at `at`, by schedule name (for "who is on call now")."""
    return {name: on_call_at(schedule=s, at=at) for name, s in config.schedules.items()}


def layer_on_call(*, layer: Layer, tz: ZoneInfo, at: datetime) -> Responder | None:
    """Whose turn it is in one layer at `at`, or None before its start or outside its windows."""
    index = _turn(layer=layer, tz=tz, at=at)
    if index is None or not _within_restrictions(layer=layer, tz=tz, at=at):
        return None
    return layer.users[index % len(layer.users)]


def _turn(*, layer: Layer, tz: ZoneInfo, at: datetime) -> int | None:
    """How many handoffs have happened by `at` (0 = the first turn); None before the first."""
    first = datetime.combine(layer.start, layer.handoff)  # naive: the schedule's wall clock
    shift = layer.shift_length
    wall = at.astimezone(tz).replace(tzinfo=None)
    k = (wall - first) // shift
    # The wall-clock estimate can be one off around a change; settle it on real instants.
    while k >= 0 and _instant(first + k * shift, tz) > at:
        k -= 1
    while _instant(first + (k + 1) * shift, tz) <= at:
        k += 1
    return k if k >= 0 else None


def _within_restrictions(*, layer: Layer, tz: ZoneInfo, at: datetime) -> bool:
    if not layer.restrictions:
        return True
    wall = at.astimezone(tz).replace(tzinfo=None)
    today, now = WEEKDAYS[wall.weekday()], wall.time()
    yesterday = WEEKDAYS[(wall - timedelta(days=1)).weekday()]
    for r in layer.restrictions:
        if r.start < r.end:
            if today in r.days and r.start <= now < r.end:
                return True
        elif (today in r.days and now >= r.start) or (yesterday in r.days and now < r.end):
            return True  # an overnight window belongs to the day it starts
    return False


def _instant(wall: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local wall time (fold=0: the earlier of an ambiguous pair)."""
    return wall.replace(tzinfo=tz).astimezone(UTC)


def _aware(value: datetime, tz: ZoneInfo) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)
