"""The run's figure is written for a full run and for one that stopped before measuring."""

from __future__ import annotations

import warnings
from pathlib import Path

from benchmarks.e2e.plot import plot
from benchmarks.e2e.results import Results
from tests.support.bench_results import sample_results

PNG = b"\x89PNG\r\n\x1a\n"


def test_a_full_run_and_an_empty_one_both_give_a_png(tmp_path: Path) -> None:
    full = plot(sample_results(), tmp_path / "full.png")
    empty_results = Results(machine={}, seed=1, ceiling=None, volumes=[], levels=[])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "no artists with labels" warning either
        empty = plot(empty_results, tmp_path / "empty.png")
    assert full.read_bytes().startswith(PNG)
    assert empty.read_bytes().startswith(PNG)
    assert full.stat().st_size > empty.stat().st_size
