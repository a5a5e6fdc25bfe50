"""What every request handler may use, built once per app and kept in `app.state.context`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from smileback.api.auth import RateLimiter
from smileback.api.oncall import OnCallSource
from smileback.api.publisher import EventPublisher
from smileback.common.clock import Clock

__all__ = ["ApiContext", "KafkaCheck"]

# Returns None when Kafka answers, else what is wrong (for /readyz).
KafkaCheck = Callable[[], str | None]


@dataclass(frozen=True)
class ApiContext:
    """The store, the clock, auth, the event publisher, readiness checks and on-call file."""

    engine: Engine
    sessions: sessionmaker[Session]
    bootstrap_token: bytes | None
    limiter: RateLimiter
    clock: Clock
    publisher: EventPublisher | None
    kafka_check: KafkaCheck | None
    oncall: OnCallSource | None
