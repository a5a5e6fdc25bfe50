"""Backoff: exponential, jittered within half to full, capped, and reset by a success."""

from __future__ import annotations

import threading

import pytest
import structlog

from smileback.common.backoff import Backoff, backoff_delay, when_reachable


@pytest.mark.parametrize("jitter", [0.0, 0.5, 0.999])
def test_backoff_is_jittered_within_half_to_full_and_capped(jitter: float) -> None:
    for attempt in range(1, 12):
        base = min(300.0, 2.0 * 2 ** (attempt - 1))
        delay = backoff_delay(attempt=attempt, backoff_s=2.0, jitter=jitter, cap_s=300.0)
        assert base / 2 <= delay <= base
    assert backoff_delay(attempt=60, backoff_s=2.0, jitter=0.999, cap_s=300.0) <= 300.0


def test_an_outage_waits_longer_each_time_up_to_the_cap_and_a_success_starts_over() -> None:
    backoff = Backoff(base_s=1.0, cap_s=8.0, rng=lambda: 0.0)
    assert [backoff.next() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert backoff.attempt == 6
    backoff.reset()
    assert backoff.attempt == 0
    assert backoff.next() == 0.5


class _Stop(threading.Event):
    """Records each wait instead of waiting; set after `stop_after` waits."""

    def __init__(self, stop_after: int | None = None) -> None:
        super().__init__()
        self.waits: list[float] = []
        self._stop_after = stop_after

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout or 0.0)
        return self._stop_after is not None and len(self.waits) >= self._stop_after


def test_when_reachable_retries_with_longer_waits_one_warning_each_then_returns() -> None:
    tries: list[int] = []

    def attempt() -> str:
        tries.append(1)
        if len(tries) < 4:
            raise ConnectionError("no broker")
        return "connected"

    stop = _Stop()
    with structlog.testing.capture_logs() as logs:
        got = when_reachable(
            attempt, dependency="Kafka", errors=(ConnectionError,), stop=stop, max_delay_s=3.0
        )
    assert got == "connected"
    assert stop.waits == [1.0, 2.0, 3.0]
    assert [(e["event"], e["log_level"]) for e in logs] == [
        ("Kafka not reachable; retrying", "warning")
    ] * 3
    assert all("exc_info" not in e for e in logs)


def test_when_reachable_says_it_is_waiting_before_each_wait() -> None:
    stop = _Stop(stop_after=2)
    waits_done_at_each_call: list[int] = []

    def attempt() -> str:
        raise ConnectionError("no broker")

    got = when_reachable(
        attempt,
        dependency="Kafka",
        errors=(ConnectionError,),
        stop=stop,
        waiting=lambda: waits_done_at_each_call.append(len(stop.waits)),
    )
    assert got is None
    assert waits_done_at_each_call == [0, 1]


def test_when_reachable_gives_up_when_stopped_and_lets_other_errors_through() -> None:
    def refused() -> str:
        raise ConnectionError("no broker")

    stop = _Stop(stop_after=2)
    assert when_reachable(refused, dependency="Kafka", errors=(ConnectionError,), stop=stop) is None
    assert len(stop.waits) == 2

    def broken() -> str:
        raise ValueError("a bug, not an outage")

    with pytest.raises(ValueError, match="a bug"):
        when_reachable(broken, dependency="Kafka", errors=(ConnectionError,), stop=_Stop())
