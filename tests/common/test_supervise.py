"""Supervision: a dependency's failure restarts the work after a backoff; a bug does not."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from smileback.common import supervise as supervise_module
from smileback.common.backoff import Backoff
from smileback.common.errors import BusError
from smileback.common.health import Health
from smileback.common.supervise import DATABASE, KAFKA, Progress, dependency_of, supervise


def _db_down() -> OperationalError:
    return OperationalError("SELECT 1", {}, ConnectionRefusedError("refused"))


@pytest.mark.parametrize(
    ("error", "dependency"),
    [
        (BusError("commit failed: CommitFailedError"), KAFKA),
        (_db_down(), DATABASE),
        (IntegrityError("INSERT", {}, ValueError("dup")), None),
        (OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: m")), None),
        (OperationalError("SELECT", {}, sqlite3.OperationalError("database is locked")), DATABASE),
        (ValueError("a bug"), None),
    ],
)
def test_errors_are_traced_to_their_dependency(error: Exception, dependency: str | None) -> None:
    assert dependency_of(error) == dependency


def test_the_work_restarts_after_each_outage_with_growing_waits_reset_by_progress(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waits: list[float] = []
    monkeypatch.setattr(supervise_module, "_wait_out", lambda delay, **_: waits.append(delay))
    # Each run: whether it makes progress first, then what ends it (None: it returns).
    script = iter(
        [
            (False, BusError("poll failed")),
            (False, _db_down()),
            (True, BusError("flush failed")),
            (True, None),
        ]
    )
    runs: list[int] = []

    def work(progress: Progress) -> None:
        runs.append(1)
        advances, failure = next(script)
        if advances:
            progress()
        if failure is not None:
            raise failure

    health = Health(needs=[])
    backoff = Backoff(base_s=1.0, cap_s=60.0, rng=lambda: 1.0)
    supervise(work=work, stop=threading.Event(), health=health, backoff=backoff)
    assert len(runs) == 4
    # 1 s, 2 s, then progress resets the backoff: 1 s again.
    assert waits == [1.0, 2.0, 1.0]
    assert health.readiness().detail == {
        KAFKA: "BusError",
        DATABASE: "OperationalError (ConnectionRefusedError)",
    }


def test_a_backoff_wait_ends_as_soon_as_the_probe_finds_the_dependency_back() -> None:
    health, stop = Health(needs=[]), threading.Event()
    runs: list[float] = []

    def work(_: Progress) -> None:
        runs.append(time.monotonic())
        if len(runs) == 1:
            threading.Timer(0.2, health.dependency(KAFKA).up).start()  # the watch's next probe
            raise BusError("poll failed")

    backoff = Backoff(base_s=60.0, cap_s=60.0, rng=lambda: 1.0)  # a wait of a whole minute
    supervise(work=work, stop=stop, health=health, backoff=backoff)
    assert len(runs) == 2
    assert runs[1] - runs[0] < 5.0


def test_a_bug_ends_the_supervision() -> None:
    def work(_: Progress) -> None:
        raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        supervise(work=work, stop=threading.Event(), health=Health(needs=[]))


def test_a_stop_during_the_outage_ends_it_quietly() -> None:
    stop = threading.Event()

    def work(_: Progress) -> None:
        stop.set()
        raise BusError("poll failed")

    health = Health(needs=[])
    supervise(work=work, stop=stop, health=health)
    assert health.readiness().detail == {}  # nothing marked down on the way out
