"""Percentiles and rates of the benchmark's samples."""

from __future__ import annotations

import math

import pytest

from benchmarks.e2e.stats import Point, percentile, reached_at, spread, sustained_rate


def test_percentile_interpolates_between_closest_ranks() -> None:
    values = [4.0, 1.0, 3.0, 2.0]  # unsorted on purpose
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile(values, 50) == pytest.approx(2.5)
    assert percentile(list(map(float, range(101))), 99) == pytest.approx(99.0)
    assert percentile([7.0], 99) == 7.0


@pytest.mark.parametrize(("values", "q", "message"), [([], 50, "no values"), ([1.0], 101, "q")])
def test_percentile_refuses_what_has_none(values: list[float], q: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        percentile(values, q)


def test_spread_of_durations_and_of_none() -> None:
    result = spread([0.5, 1.5, 1.0, 9.0])
    assert result is not None
    assert (result.n, result.min, result.max) == (4, 0.5, 9.0)
    assert result.p50 == pytest.approx(1.25)
    assert 8.0 < result.p99 < 9.0  # the slowest one dominates the tail
    assert spread([]) is None


SERIES = [Point(0.0, 0), Point(1.0, 0), Point(2.0, 100), Point(3.0, 100), Point(5.0, 300)]


def test_reached_at_interpolates_within_the_sample_that_crossed() -> None:
    assert reached_at(SERIES, 0) == 0.0
    assert reached_at(SERIES, 50) == pytest.approx(1.5)
    assert reached_at(SERIES, 100) == pytest.approx(2.0)  # first reached, not last seen
    assert reached_at(SERIES, 200) == pytest.approx(4.0)
    assert reached_at(SERIES, 301) is None
    assert reached_at([], 1) is None


def test_sustained_rate_leaves_out_start_up_and_tail() -> None:
    # 10 % of 300 at 1.3 s, 90 % at 4.7 s: 240 mentions in 3.4 s.
    assert sustained_rate(SERIES, total=300) == pytest.approx(240 / 3.4)
    assert sustained_rate(SERIES, total=1000) is None  # never got to 90 %
    jump = [Point(0.0, 0), Point(1.0, 10)]
    assert sustained_rate(jump, total=10) == pytest.approx(8 / 0.8)
    assert sustained_rate([Point(2.0, 10)], total=10) == math.inf  # all in one sample


@pytest.mark.parametrize(("total", "low", "high"), [(0, 0.1, 0.9), (10, 0.9, 0.1), (10, 0.1, 2)])
def test_sustained_rate_refuses_bad_bounds(total: int, low: float, high: float) -> None:
    with pytest.raises(ValueError, match="total"):
        sustained_rate(SERIES, total=total, low=low, high=high)
