"""Retries with exponential backoff and jitter."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smileback.alerts.delivery import MAX_BACKOFF_S, backoff_delay, deliver
from smileback.alerts.notifiers import Page
from smileback.alerts.notifiers_testing import RecordingNotifier
from smileback.common.events import Severity

PAGE = Page(
    incident_id="inc_1",
    summary="s",
    severity=Severity.CRITICAL,
    context={},
    at=datetime(2025, 1, 1, tzinfo=UTC),
)


def test_first_success_does_not_sleep() -> None:
    sleeps: list[float] = []
    notifier = RecordingNotifier()
    assert deliver(notifier=notifier, page=PAGE, sleep=sleeps.append)
    assert notifier.pages == [PAGE]
    assert sleeps == []


def test_retries_until_success_with_growing_waits() -> None:
    sleeps: list[float] = []
    notifier = RecordingNotifier(fail_times=3)
    ok = deliver(
        notifier=notifier,
        page=PAGE,
        attempts=5,
        backoff_s=0.5,
        sleep=sleeps.append,
        jitter=lambda: 1.0,
    )
    assert ok
    assert notifier.attempts == 4
    assert notifier.pages == [PAGE]
    assert sleeps == [0.5, 1.0, 2.0]


def test_returns_false_after_last_failure_without_a_final_sleep() -> None:
    sleeps: list[float] = []
    notifier = RecordingNotifier(fail_times=99)
    assert not deliver(notifier=notifier, page=PAGE, attempts=4, sleep=sleeps.append)
    assert notifier.attempts == 4
    assert notifier.pages == []
    assert len(sleeps) == 3


@pytest.mark.parametrize("jitter", [0.0, 0.5, 0.999])
def test_backoff_is_jittered_within_half_to_full_and_capped(jitter: float) -> None:
    for attempt in range(12):
        base = min(MAX_BACKOFF_S, 0.5 * 2**attempt)
        delay = backoff_delay(attempt=attempt, backoff_s=0.5, jitter=jitter)
        assert base / 2 <= delay <= base
    assert backoff_delay(attempt=40, backoff_s=0.5, jitter=0.999) <= MAX_BACKOFF_S
