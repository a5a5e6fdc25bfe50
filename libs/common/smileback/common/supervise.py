"""Keep a service's work going through outages of Kafka or the database, inside the process.

A worker's loop keeps state that must agree with what it has committed (offsets, rows).
When a dependency fails mid-batch, the safe way on is the one a process restart takes:
drop that state, wait, rebuild it from the committed truth and carry on. `supervise`
does exactly that, without the process exiting and without Kubernetes: it runs the work,
and when the work fails because a dependency failed it marks the dependency down, waits
with backoff and jitter (cut short when the dependency's probe finds it back), and runs
the work again from the start. An error that no
dependency explains is a bug and still ends the process.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable

import structlog

from smileback.common.backoff import Backoff
from smileback.common.errors import BusError
from smileback.common.health import Dependency, Health

__all__ = ["DATABASE", "KAFKA", "Progress", "dependency_of", "supervise"]

log = structlog.get_logger(__name__)

KAFKA = "kafka"
DATABASE = "database"

_RECHECK_S = 0.5  # how often a backoff wait looks whether the dependency is back

_SQLITE_AWAY = ("database is locked", "unable to open database file", "disk I/O error")

# Called by the work after each step that went through: resets the backoff, beats liveness.
Progress = Callable[[], None]


def dependency_of(exc: BaseException) -> str | None:
    """The dependency whose failure `exc` reports, or None when it is not a dependency's."""
    if isinstance(exc, BusError):
        return KAFKA
    # Imported here, when something failed: the scorer and ingest have no database, and
    # SQLAlchemy would cost each of them about 11 MB of memory.
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeoutError

    original = getattr(exc, "orig", None)
    if isinstance(original, sqlite3.Error):
        # SQLite says OperationalError for its SQL errors too ("no such table"): only these
        # mean the database file is away or busy.
        return DATABASE if str(original).startswith(_SQLITE_AWAY) else None
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeoutError):
        return DATABASE
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return DATABASE
    return None


def supervise(
    *,
    work: Callable[[Progress], None],
    stop: threading.Event,
    health: Health,
    backoff: Backoff | None = None,
) -> None:
    """Run `work(progress)` until it returns or `stop` is set, restarting it after outages."""
    backoff = backoff or Backoff(base_s=1.0, cap_s=30.0)

    def progress() -> None:
        backoff.reset()
        health.beat()

    while not stop.is_set():
        try:
            work(progress)
            return
        except Exception as exc:
            if stop.is_set():
                return  # stopping: an outage met on the way out changes nothing
            dependency = dependency_of(exc)
            if dependency is None:
                raise
            health.dependency(dependency).down(_reason(exc))
            delay = backoff.next()
            # The dependency logs the outage once; a retry per backoff step is detail.
            (log.info if backoff.attempt == 1 else log.debug)(
                "restarting the work after a dependency failed",
                dependency=dependency,
                error_type=type(exc).__name__,
                delay_s=round(delay, 1),
            )
            health.beat()  # waiting out an outage on purpose is not a stall
            _wait_out(delay, dependency=health.dependency(dependency), stop=stop)


def _wait_out(delay: float, *, dependency: Dependency, stop: threading.Event) -> None:
    """Wait `delay`, or less once the dependency's probe finds it answering again: a long
    backoff step must not keep paging stopped after the outage is over."""
    deadline = time.monotonic() + delay
    while not dependency.is_up:
        left = deadline - time.monotonic()
        if left <= 0 or stop.wait(min(left, _RECHECK_S)):
            return


def _reason(exc: BaseException) -> str:
    """A short reason without the error's full text, which may carry a connection URL."""
    cause = exc.__cause__ or getattr(exc, "orig", None)
    return type(exc).__name__ + (f" ({type(cause).__name__})" if cause is not None else "")
