"""On-call configuration as data: responders, schedules (layers, rotations, overrides) and
escalation policies, loaded from YAML and checked at start with file, line and reason."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from smileback.common.yamlconf import Located, read_yaml, validate_located

__all__ = [
    "NOTIFIER_NAMES",
    "WEEKDAYS",
    "EscalationLevel",
    "EscalationPolicy",
    "Layer",
    "NotifierName",
    "OnCallConfig",
    "Override",
    "Responder",
    "Restriction",
    "Schedule",
    "Target",
    "Weekday",
    "default_oncall",
    "load_oncall",
]

NotifierName = Literal["pagerduty", "slack", "webhook", "email", "console"]
NOTIFIER_NAMES: tuple[NotifierName, ...] = ("pagerduty", "slack", "webhook", "email", "console")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SHIFTS = {"daily": timedelta(days=1), "weekly": timedelta(weeks=1)}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _ResponderSpec(_Strict):
    name: str = ""
    email: str | None = None
    slack: str | None = None  # a Slack member id (U…) to @-mention; also who clicked a button
    pagerduty: str | None = None  # a PagerDuty user id (P…): who acknowledged there


class Responder(_ResponderSpec):
    """A human who can be paged; `id` is their key in the `responders` section."""

    id: str

    @property
    def label(self) -> str:
        """The display name, or the id."""
        return self.name or self.id


def _responder(value: Any, info: ValidationInfo) -> Any:
    """Swap a responder id for the Responder, refusing ids the file does not define."""
    if isinstance(value, Responder):
        return value
    if isinstance(value, str):
        known: dict[str, Responder] = (info.context or {}).get("responders", {})
        if value not in known:
            raise ValueError(f"unknown responder {value!r} (not under `responders`)")
        return known[value]
    raise ValueError("name a responder by its id")


class Restriction(_Strict):
    """A weekly window (local time) when a layer is on call; `end` <= `start` spans midnight."""

    days: tuple[Weekday, ...] = WEEKDAYS
    start: time
    end: time


class Layer(_Strict):
    """A rotation: `users` take turns of `shift`, handing off at `handoff` local time."""

    name: str = ""
    users: Annotated[tuple[Responder, ...], Field(min_length=1)]
    start: date  # the day of the first handoff
    handoff: time = time(9, 0)
    shift: str = "weekly"  # daily, weekly, <n>h or <n>d
    restrictions: tuple[Restriction, ...] = ()

    @field_validator("users", mode="before")
    @classmethod
    def _users(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, list | tuple):
            return tuple(_responder(u, info) for u in value)
        return value

    @field_validator("shift")
    @classmethod
    def _shift(cls, value: str) -> str:
        _shift_length(value)
        return value

    @property
    def shift_length(self) -> timedelta:
        """How long one turn lasts on the wall clock."""
        return _shift_length(self.shift)


class Override(_Strict):
    """Someone else on call from `start` to `end` (naive times are the schedule's local time)."""

    user: Responder
    start: datetime
    end: datetime

    @field_validator("user", mode="before")
    @classmethod
    def _user(cls, value: Any, info: ValidationInfo) -> Any:
        return _responder(value, info)

    @model_validator(mode="after")
    def _ordered(self) -> Override:
        if (self.start.tzinfo is None) != (self.end.tzinfo is None):
            raise ValueError("give both start and end with an offset, or neither")
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Schedule(_Strict):
    """Layers (later ones win where they have someone) and overrides (win over layers)."""

    time_zone: str = "UTC"
    layers: tuple[Layer, ...] = ()
    overrides: tuple[Override, ...] = ()

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        """The schedule's time zone."""
        return ZoneInfo(self.time_zone)


class Target(_Strict):
    """Who one escalation level pages: whoever is on call in a schedule, or one responder."""

    schedule: str | None = None
    user: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Target:
        if (self.schedule is None) == (self.user is None):
            raise ValueError("give exactly one of `schedule` or `user`")
        return self


class EscalationLevel(_Strict):
    """Notify `targets` through `notify`; escalate after `escalate_after_minutes` without ack."""

    targets: tuple[Target, ...] = ()
    notify: Annotated[tuple[NotifierName, ...], Field(min_length=1)]
    escalate_after_minutes: Annotated[float, Field(gt=0)] = 15.0


class EscalationPolicy(_Strict):
    """Levels in order; the whole policy runs `repeat` more times while unacknowledged."""

    levels: Annotated[tuple[EscalationLevel, ...], Field(min_length=1)]
    repeat: Annotated[int, Field(ge=0, le=10)] = 0


class OnCallConfig(_Strict):
    """Everything an on-call file defines."""

    responders: dict[str, Responder] = {}
    schedules: dict[str, Schedule] = {}
    escalation_policies: dict[str, EscalationPolicy] = {}


class _File(_Strict):
    version: Literal[1] = 1
    responders: dict[Annotated[str, Field(min_length=1)], _ResponderSpec] = {}
    schedules: dict[str, Any] = {}
    escalation_policies: dict[str, Any] = {}


def load_oncall(path: str | Path) -> OnCallConfig:
    """Read and check an on-call file; ConfigError naming the file, line and reason."""
    doc = read_yaml(path)
    top = validate_located(_File, doc.data, sources=[Located(prefix=(), doc=doc, at=())])
    responders = {
        rid: Responder(id=rid, **spec.model_dump()) for rid, spec in top.responders.items()
    }
    data = {
        "responders": responders,
        "schedules": top.schedules,
        "escalation_policies": top.escalation_policies,
    }
    config = validate_located(
        OnCallConfig,
        data,
        sources=[Located(prefix=(), doc=doc, at=())],
        context={"responders": responders},
    )
    for name, policy in config.escalation_policies.items():
        for i, level in enumerate(policy.levels):
            for j, target in enumerate(level.targets):
                loc = ("escalation_policies", name, "levels", i, "targets", j)
                if target.schedule is not None and target.schedule not in config.schedules:
                    raise doc.error(loc=loc, reason=f"unknown schedule {target.schedule!r}")
                if target.user is not None and target.user not in config.responders:
                    raise doc.error(loc=loc, reason=f"unknown responder {target.user!r}")
    return config


def default_oncall(*, notify: Sequence[NotifierName]) -> OnCallConfig:
    """Without an on-call file: one `default` policy paging every configured channel once."""
    level = EscalationLevel(notify=tuple(notify))
    return OnCallConfig(escalation_policies={"default": EscalationPolicy(levels=(level,))})


def _shift_length(value: str) -> timedelta:
    if value in _SHIFTS:
        return _SHIFTS[value]
    unit = {"h": "hours", "d": "days"}.get(value[-1:])
    if unit is None or not value[:-1].isdigit() or int(value[:-1]) < 1:
        raise ValueError(f"shift must be daily, weekly, <n>h or <n>d, not {value!r}")
    return timedelta(**{unit: int(value[:-1])})
