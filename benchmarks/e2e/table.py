"""The printed summary of a run: Markdown tables, the figures in benchmarks/README.md (pure)."""

from __future__ import annotations

from benchmarks.e2e.hops import HOPS
from benchmarks.e2e.results import SERVICES, LevelResult, Results, VolumeResult
from benchmarks.e2e.stats import Spread

__all__ = ["render"]

_DASH = "n/a"


def _rate(value: float | None) -> str:
    return _DASH if value is None else f"{value:,.0f}/s"


def _seconds(value: float | None) -> str:
    return _DASH if value is None else f"{value:.2f} s"


def _p50_p99(spread: Spread | None) -> str:
    return _DASH if spread is None else f"{spread.p50:.2f} s / {spread.p99:.2f} s"


def render(results: Results) -> str:
    """The summary: the largest volume against the ceiling, the load levels, the volumes."""
    parts = [_main_table(results)]
    if results.levels:
        parts.append(_levels_table(results.levels))
    if any(level.hops for level in results.levels):
        parts.append(_hops_table(results.levels))
    if len(results.volumes) > 1:
        parts.append(_volumes_table(results.volumes))
    return "\n\n".join(parts) + "\n"


def _main_table(results: Results) -> str:
    main, ceiling = results.main, results.ceiling
    rows: list[tuple[str, str]] = []
    if main is not None:
        done = "" if main.complete else f" (incomplete: {main.stored:,} of {main.expected:,})"
        rows += [
            ("mentions generated / with a brand term", f"{main.volume:,} / {main.expected:,}"),
            ("ingest into Kafka", _rate(main.ingest_per_s)),
            ("scorer output (10-90 %)", _rate(main.sustained_scored_per_s)),
            ("rows stored in PostgreSQL, 10-90 %", _rate(main.sustained_stored_per_s)),
            ("all rows stored (end to end)" + done, _rate(main.stored_per_s)),
            ("end-to-end latency p50 / p99", _p50_p99(main.latency)),
        ]
    if ceiling is not None:
        rows += [
            ("raw kafka-python produce, same values, same broker", _rate(ceiling.produce_per_s)),
            ("raw consume", _rate(ceiling.consume_per_s)),
        ]
        if main is not None and main.stored_per_s is not None:
            ratio = main.stored_per_s / ceiling.per_s
            rows.append(("pipeline / ceiling (stored vs. slower raw leg)", f"{ratio:.1%}"))
    if main is not None:
        cpu = [main.cpu_ms_per_mention(s) for s in SERVICES]
        rss = [main.usage[s].peak_rss_mb if s in main.usage else None for s in SERVICES]
        names = " / ".join(SERVICES)
        rows += [
            (f"CPU ms per mention: {names}", " / ".join(_number(v, 2) for v in cpu)),
            (f"peak RSS MB: {names}", " / ".join(_number(v, 0) for v in rss)),
        ]
    lines = ["| | measured |", "|---|---:|", *(f"| {name} | {value} |" for name, value in rows)]
    return "\n".join(lines)


def _number(value: float | None, digits: int) -> str:
    return _DASH if value is None else f"{value:,.{digits}f}"


def _levels_table(levels: list[LevelResult]) -> str:
    lines = [
        "| background load | stored during it | probes paged | time to page p50 / p99 "
        f"| min / max | latency p50 / p99 | CPU ms per mention: {' / '.join(SERVICES)} "
        "| cores busy |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for level in levels:
        page = level.time_to_page
        extremes = _DASH if page is None else f"{page.min:.2f} s / {page.max:.2f} s"
        cpu = " / ".join(_number(level.cpu_ms_per_mention(s), 2) for s in SERVICES)
        lines.append(
            f"| {level.rate:,.0f}/s for {level.seconds:.0f} s | {_rate(level.stored_per_s)} "
            f"| {level.paged}/{level.probes} | {_p50_p99(page)} | {extremes} "
            f"| {_p50_p99(level.latency)} | {cpu} | {_number(level.busy_cores, 2)} |"
        )
    return "\n".join(lines)


def _volumes_table(volumes: list[VolumeResult]) -> str:
    names = " / ".join(SERVICES)
    lines = [
        f"| volume | stored end to end | CPU ms per mention: {names} | peak RSS MB: {names} |",
        "|---:|---:|---:|---:|",
    ]
    for volume in sorted(volumes, key=lambda v: v.volume):
        cpu = " / ".join(_number(volume.cpu_ms_per_mention(s), 2) for s in SERVICES)
        rss = " / ".join(
            _number(volume.usage[s].peak_rss_mb if s in volume.usage else None, 0) for s in SERVICES
        )
        lines.append(f"| {volume.volume:,} | {_rate(volume.stored_per_s)} | {cpu} | {rss} |")
    return "\n".join(lines)


def _hops_table(levels: list[LevelResult]) -> str:
    """Time to page by hop, p50 / p99 per level; a hop's columns in the order a probe runs."""
    names = [name for name, _, _ in HOPS]
    lines = [
        "| background load | " + " | ".join(names) + " | written→page |",
        "|---:|" + "---:|" * (len(names) + 1),
    ]
    for level in levels:
        cells = [_p50_p99(level.hops.get(name)) for name in names]
        lines.append(
            f"| {level.rate:,.0f}/s | " + " | ".join(cells) + f" | {_p50_p99(level.time_to_page)} |"
        )
    return "\n".join(lines)
