"""The printed table and the JSON of a run, from made-up results."""

from __future__ import annotations

import json

from benchmarks.e2e.results import (
    Ceiling,
    LevelResult,
    Results,
    Usage,
    VolumeResult,
    to_json,
)
from benchmarks.e2e.stats import Point, Spread
from benchmarks.e2e.table import render

USAGE = {
    "ingest": Usage(cpu_s=10.0, peak_rss_mb=120.4),
    "scorer": Usage(cpu_s=90.0, peak_rss_mb=245.0),
    "alerts": Usage(cpu_s=190.0, peak_rss_mb=157.0),
    "api": Usage(cpu_s=200.0, peak_rss_mb=175.0),
}


def _volume(volume: int, *, stored: int | None = None, cpu: float = 1.0) -> VolumeResult:
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
)
CEILING = Ceiling(count=100_000, produce_per_s=10_000.0, consume_per_s=12_500.0)


def _results(**changes: object) -> Results:
    base: dict[str, object] = {
        "machine": {"cpus": 2},
        "seed": 13,
        "ceiling": CEILING,
        "volumes": [_volume(100_000)],
        "levels": [LEVEL],
    }
    return Results(**{**base, **changes})


def test_the_main_table_has_each_figure_and_the_ratio_to_the_slower_raw_leg() -> None:
    table = render(_results())
    assert "| ingest into Kafka | 3,180/s |" in table
    assert "| scorer output (10-90 %) | 582/s |" in table
    assert "| all rows stored (end to end) | 308/s |" in table
    assert "| end-to-end latency p50 / p99 | 4.00 s / 9.50 s |" in table
    assert "| raw kafka-python produce, same values, same broker | 10,000/s |" in table
    assert "| raw consume | 12,500/s |" in table
    assert "| pipeline / ceiling (stored vs. slower raw leg) | 3.1% |" in table
    # 90 CPU s over 95,000 stored mentions is 0.95 ms each.
    assert (
        "| CPU ms per mention: ingest / scorer / alerts / api | 0.11 / 0.95 / 2.00 / 2.11 |"
        in table
    )
    assert "| peak RSS MB: ingest / scorer / alerts / api | 120 / 245 / 157 / 175 |" in table


def test_the_levels_table_has_time_to_page_and_how_many_probes_paged() -> None:
    table = render(_results())
    row = "| 500/s for 30 s | 310/s | 19/20 | 5.50 s / 8.00 s | 4.30 s / 8.10 s | 2.00 s / 7.00 s |"
    assert row in table


def test_an_incomplete_run_says_so_and_missing_figures_show_as_na() -> None:
    unpaged = LevelResult(**{**LEVEL.__dict__, "paged": 0, "time_to_page": None})
    table = render(_results(volumes=[_volume(1000, stored=10)], ceiling=None, levels=[unpaged]))
    assert "(incomplete: 10 of 950)" in table
    assert "raw consume" not in table
    assert "pipeline / ceiling" not in table
    assert "| 0/20 | n/a | n/a |" in table


def test_several_volumes_get_a_cost_table_and_the_largest_is_the_main_one() -> None:
    results = _results(volumes=[_volume(1_000_000, cpu=2.0), _volume(10_000)])
    assert results.main is not None
    assert results.main.volume == 1_000_000
    table = render(results)
    assert "| 10,000 | 308/s | 0.11 / 0.95 / 2.00 / 2.11 |" in table
    assert "| 1,000,000 | 308/s | 0.21 / 1.89 / 4.00 / 4.21 |" in table
    assert table.index("| 10,000 |") < table.index("| 1,000,000 |")
    assert "volume |" not in render(_results())  # one volume: no cost table


def test_json_holds_the_raw_and_the_derived_figures() -> None:
    body = json.loads(json.dumps(to_json(_results())))
    volume = body["volumes"][0]
    assert volume["complete"] is True
    assert volume["ingest_per_s"] == 3180.0
    assert volume["cpu_ms_per_mention"]["scorer"] == 90_000 / 95_000
    assert volume["stored_series"][-1] == {"t": 10.0, "count": 95_000}
    assert body["ceiling"]["per_s"] == 10_000.0
    assert body["pipeline_to_ceiling"] == 308 / 10_000
    assert body["levels"][0]["time_to_page"]["p99"] == 8.0
