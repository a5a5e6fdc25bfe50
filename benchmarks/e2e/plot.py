"""The run as one figure: progress over time, time to page per load level, cost per volume."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display needed
import matplotlib.pyplot as plt

from benchmarks.e2e.results import SERVICES, Results

__all__ = ["plot"]


def plot(results: Results, path: Path) -> Path:
    """Write the figure as PNG to `path`."""
    figure, (progress, paging, cost) = plt.subplots(1, 3, figsize=(16, 4.8))
    main = results.main
    if main is not None:
        for label, series in (("stored", main.stored_series), ("scored", main.scored_series)):
            progress.plot([p.t for p in series], [p.count for p in series], label=label)
        progress.axhline(main.expected, color="grey", linestyle=":", label="expected")
        progress.set_title(f"{main.volume:,} mentions at full speed")
        progress.set_xlabel("seconds since the feed started")
        progress.set_ylabel("mentions")
        progress.legend()
    levels = [level for level in results.levels if level.time_to_page is not None]
    if levels:
        rates = [level.rate for level in levels]
        for label, values in (
            ("p50", [level.time_to_page.p50 for level in levels if level.time_to_page]),
            ("p99", [level.time_to_page.p99 for level in levels if level.time_to_page]),
        ):
            paging.plot(rates, values, marker="o", label=label)
        paging.set_title("time to page, large-audience complaint")
        paging.set_xlabel("background load, mentions/s")
        paging.set_ylabel("seconds")
        paging.legend()
    volumes = sorted(results.volumes, key=lambda v: v.volume)
    plotted = False
    for service in SERVICES:
        points = [(v.volume, v.cpu_ms_per_mention(service)) for v in volumes]
        kept = [(x, y) for x, y in points if y is not None]
        if kept:
            cost.plot([x for x, _ in kept], [y for _, y in kept], marker="o", label=service)
            plotted = True
    cost.set_xscale("log")
    cost.set_title("CPU per mention by volume")
    cost.set_xlabel("mentions")
    cost.set_ylabel("CPU ms per mention")
    if plotted:  # a run stopped before its first volume ended has nothing to show here
        cost.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
