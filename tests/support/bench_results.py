"""Made-up results of an end-to-end benchmark run, for the tests of its table, JSON and plot."""

from __future__ import annotations

from benchmarks.e2e.results import Ceiling, LevelResult, Results, Usage, VolumeResult
from benchmarks.e2e.stats import Point, Spread

__all__ = ["CEILING", "LEVEL", "sample_results", "sample_volume"]

USAGE = {
    "ingest": Usage(cpu_s=10.0, peak_rss_mb=120.4),
    "scorer": Usage(cpu_s=90.0, peak_rss_mb=245.0),
    "alerts": Usage(cpu_s=190.0, peak_rss_mb=157.0),
    "api": Usage(cpu_s=200.0, peak_rss_mb=175.0),
}


def sample_volume(volume: int, *, stored: int | None = None, cpu: float = 1.0) -> VolumeResult:
    """A volume in the issue's figures: 95 % branded, 308/s stored, CPU scaled by `cpu`."""
    expected = volume * 95 // 100
    return VolumeResult(
        volume=volume,
        expected=expected,
        stored=expected if stored is None else stored,
        ingest_s=volume / 3180,
        stored_per_s=308.0,
        sustained_stored_per_s=350.0,
        sustained_scored_per_s=582.0,
        latency=Spread(n=expected, p50=4.0, p99=9.5, min=0.5, max=10.0),
        usage={
            name: Usage(u.cpu_s * cpu * volume / 100_000, u.peak_rss_mb)
            for name, u in USAGE.items()
        },
        stored_series=[Point(0.0, 0), Point(10.0, expected)],
    )


LEVEL = LevelResult(
    rate=500.0,
    seconds=30.0,
    offered=15_020,
    stored_per_s=310.0,
    probes=20,
    paged=19,
    time_to_page=Spread(n=19, p50=5.5, p99=8.0, min=4.3, max=8.1),
    latency=Spread(n=14_000, p50=2.0, p99=7.0, min=0.4, max=7.5),
    drained=True,
    stored=14_000,
    usage={
        "ingest": Usage(cpu_s=1.4, peak_rss_mb=90.0),
        "scorer": Usage(cpu_s=14.0, peak_rss_mb=250.0),
        "alerts": Usage(cpu_s=2.8, peak_rss_mb=160.0),
        "api": Usage(cpu_s=4.2, peak_rss_mb=180.0),
    },
    busy_cores=1.5,
)
CEILING = Ceiling(count=100_000, produce_per_s=10_000.0, consume_per_s=12_500.0)


def sample_results(**changes: object) -> Results:
    """One 100,000-mention run with a ceiling and one load level; `changes` replace fields."""
    base: dict[str, object] = {
        "machine": {"cpus": 2},
        "seed": 13,
        "ceiling": CEILING,
        "volumes": [sample_volume(100_000)],
        "levels": [LEVEL],
    }
    return Results(**{**base, **changes})
