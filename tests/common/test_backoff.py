"""Backoff: exponential, jittered within half to full, capped, and reset by a success."""

from __future__ import annotations

import pytest

from smileback.common.backoff import Backoff, backoff_delay


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
