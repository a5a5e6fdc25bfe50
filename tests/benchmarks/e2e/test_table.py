"""The printed table and the JSON of a run, from made-up results."""

from __future__ import annotations

import json

from benchmarks.e2e.hops import HOPS
from benchmarks.e2e.results import LevelResult, to_json
from benchmarks.e2e.stats import Spread
from benchmarks.e2e.table import render
from tests.support.bench_results import LEVEL, sample_results, sample_volume


def test_the_main_table_has_each_figure_and_the_ratio_to_the_slower_raw_leg() -> None:
    table = render(sample_results())
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


def test_the_levels_table_has_time_to_page_how_many_probes_paged_and_the_live_cost() -> None:
    table = render(sample_results())
    row = "| 500/s for 30 s | 310/s | 19/20 | 5.50 s / 8.00 s | 4.30 s / 8.10 s | 2.00 s / 7.00 s |"
    # 14 scorer CPU s over the 14,000 rows stored during the level is 1 ms each.
    assert row + " 0.10 / 1.00 / 0.20 / 0.30 | 1.50 |" in table


def test_an_incomplete_run_says_so_and_missing_figures_show_as_na() -> None:
    unpaged = LevelResult(**{**LEVEL.__dict__, "paged": 0, "time_to_page": None})
    table = render(
        sample_results(volumes=[sample_volume(1000, stored=10)], ceiling=None, levels=[unpaged])
    )
    assert "(incomplete: 10 of 950)" in table
    assert "raw consume" not in table
    assert "pipeline / ceiling" not in table
    assert "| 0/20 | n/a | n/a |" in table


def test_several_volumes_get_a_cost_table_and_the_largest_is_the_main_one() -> None:
    results = sample_results(volumes=[sample_volume(1_000_000, cpu=2.0), sample_volume(10_000)])
    assert results.main is not None
    assert results.main.volume == 1_000_000
    table = render(results)
    assert "| 10,000 | 308/s | 0.11 / 0.95 / 2.00 / 2.11 |" in table
    assert "| 1,000,000 | 308/s | 0.21 / 1.89 / 4.00 / 4.21 |" in table
    assert table.index("| 10,000 |") < table.index("| 1,000,000 |")
    assert "volume |" not in render(sample_results())  # one volume: no cost table


def test_json_holds_the_raw_and_the_derived_figures() -> None:
    body = json.loads(json.dumps(to_json(sample_results())))
    volume = body["volumes"][0]
    assert volume["complete"] is True
    assert volume["ingest_per_s"] == 3180.0
    assert volume["cpu_ms_per_mention"]["scorer"] == 90_000 / 95_000
    assert volume["stored_series"][-1] == {"t": 10.0, "count": 95_000}
    assert body["ceiling"]["per_s"] == 10_000.0
    assert body["pipeline_to_ceiling"] == 308 / 10_000
    assert body["levels"][0]["time_to_page"]["p99"] == 8.0
    assert body["levels"][0]["cpu_ms_per_mention"]["alerts"] == 2_800 / 14_000


def test_the_hops_table_has_each_hops_p50_and_p99_in_the_order_a_probe_runs() -> None:
    hops: dict[str, Spread | None] = {name: None for name, _, _ in HOPS}
    hops["ingest→raw"] = Spread(n=20, p50=0.01, p99=0.05, min=0.0, max=0.06)
    hops["scored→incident (alerts)"] = Spread(n=19, p50=3.25, p99=6.5, min=1.0, max=6.6)
    level = LevelResult(**{**LEVEL.__dict__, "hops": hops})
    table = render(sample_results(levels=[level]))
    header = next(line for line in table.splitlines() if "ingest→raw" in line)
    assert header.index("ingest→raw") < header.index("scored→incident") < header.index("→page |")
    row = "| 500/s | 0.01 s / 0.05 s | n/a | 3.25 s / 6.50 s | n/a | 5.50 s / 8.00 s |"
    assert row in table
    assert "ingest→raw" not in render(sample_results())  # no hops measured: no table
    body = json.loads(json.dumps(to_json(sample_results(levels=[level]))))
    assert body["levels"][0]["hops"]["scored→incident (alerts)"]["p99"] == 6.5
