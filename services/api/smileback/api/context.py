"""What every request handler may use, built once per app and kept in `app.state.context`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from smileback.api.auth import RateLimiter
from smileback.api.oncall import OnCallSource
from smileback.api.publisher import EventPublisher
from smileback.common.clock import Clock
from smileback.common.health import Probe

__all__ = ["ApiContext"]


@dataclass(frozen=True)
class ApiContext:
    """The store, the clock, auth, the event publisher, readiness checks and on-call file."""

    engine: Engine
    sessions: sessionmaker[Session]
    bootstrap_token: bytes | None
    limiter: RateLimiter
    clock: Clock
    publisher: EventPublisher | None
    database_check: Probe
    kafka_check: Probe | None
    oncall: OnCallSource | None
