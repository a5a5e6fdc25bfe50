"""Timing helpers for the benchmark scripts (run as `python benchmarks/<script>.py`)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = ["Timing", "interleaved"]


@dataclass(frozen=True)
class Timing:
    """The fastest run of one step: wall-clock and CPU seconds, and how many items it did."""

    wall_s: float
    cpu_s: float
    count: int


def interleaved(repeat: int, steps: Mapping[str, Callable[[], int]]) -> dict[str, Timing]:
    """Run the steps round-robin `repeat` times; per step its fastest wall and CPU time.

    Round-robin rather than one step after another, so that a busy spell on a shared
    machine slows every step alike instead of one.
    """
    best: dict[str, Timing] = {}
    for i in range(repeat):
        for label, work in steps.items():
            print(f"  {label}: run {i + 1}/{repeat}", file=sys.stderr, flush=True)
            wall, cpu = time.perf_counter(), time.process_time()
            count = work()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            old = best.get(label)
            best[label] = Timing(
                wall_s=min(wall, old.wall_s) if old else wall,
                cpu_s=min(cpu, old.cpu_s) if old else cpu,
                count=count,
            )
    return best
