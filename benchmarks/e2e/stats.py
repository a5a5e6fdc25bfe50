"""Statistics of the benchmark (pure): percentiles, and rates from count-over-time series."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Point", "Spread", "percentile", "reached_at", "spread", "sustained_rate"]


@dataclass(frozen=True)
class Point:
    """A counter's value `count` at `t` seconds."""

    t: float
    count: int


@dataclass(frozen=True)
class Spread:
    """Percentiles of a set of durations, in seconds, and how many there were."""

    n: int
    p50: float
    p99: float
    min: float
    max: float


def percentile(values: Sequence[float], q: float) -> float:
    """The `q`-th percentile (0-100) by linear interpolation between closest ranks."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"q must be within 0..100, got {q}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def spread(values: Sequence[float]) -> Spread | None:
    """p50, p99, min and max of `values`; None when there are none."""
    if not values:
        return None
    return Spread(
        n=len(values),
        p50=percentile(values, 50),
        p99=percentile(values, 99),
        min=min(values),
        max=max(values),
    )


def reached_at(series: Sequence[Point], count: float) -> float | None:
    """When the counter first reached `count`, interpolated between samples; None if never.

    The series must be in time order with a counter that never goes down."""
    previous: Point | None = None
    for point in series:
        if point.count >= count:
            if previous is None or point.count == previous.count:
                return point.t
            share = (count - previous.count) / (point.count - previous.count)
            return previous.t + share * (point.t - previous.t)
        previous = point
    return None


def sustained_rate(
    series: Sequence[Point], *, total: int, low: float = 0.1, high: float = 0.9
) -> float | None:
    """Counts per second between the moments the counter passed `low` and `high` of `total`.

    The middle of a run, without the start-up before the first record and the tail after the
    input ran out; None when the counter never reached `high` of `total`."""
    if total <= 0 or not 0 <= low < high <= 1:
        raise ValueError("need total > 0 and 0 ≤ low < high ≤ 1")
    start = reached_at(series, low * total)
    end = reached_at(series, high * total)
    if start is None or end is None:
        return None
    if end <= start:
        return math.inf
    return (high - low) * total / (end - start)
