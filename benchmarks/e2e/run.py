"""`python -m benchmarks.e2e`: start everything, measure, print the table, write JSON and a plot.

    make bench-e2e                                  # 100,000 mentions, load levels 100/500/1000/s
    .venv/bin/python -m benchmarks.e2e --quick      # a smoke run: 2,000 mentions, one level
    .venv/bin/python -m benchmarks.e2e --volumes    # 10k, 100k and 1M: cost per mention by volume
    .venv/bin/python -m benchmarks.e2e --quick --profile  # and py-spy on every process

One broker and one PostgreSQL for the run; for each volume a new topic prefix, a new database
and freshly started services, so each volume starts from empty state. The ceiling (raw
produce and consume of the largest volume's values) runs first, on the idle broker; the load
levels run last, on the largest volume's services.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import sys
import traceback
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.e2e import stack as infra
from benchmarks.e2e.ceiling import measure_ceiling
from benchmarks.e2e.generator import brand_terms, generate
from benchmarks.e2e.measure import Store
from benchmarks.e2e.phases import Stack, run_level, run_volume, write_mentions
from benchmarks.e2e.plot import plot
from benchmarks.e2e.results import Ceiling, LevelResult, Results, VolumeResult, to_json
from benchmarks.e2e.table import render

__all__ = ["Options", "main", "parse_args"]

DEFAULT_VOLUMES = "10000,100000,1000000"


@dataclass(frozen=True)
class Options:
    """What to run."""

    volumes: list[int]
    levels: list[float]
    level_seconds: float
    probes: int
    seed: int
    out_dir: Path
    stall_s: float
    ceiling: bool
    profile: bool = False
    scorers: int = 1


def _numbers(value: str) -> list[int]:
    return [int(float(part)) for part in value.split(",") if part.strip()]


def parse_args(argv: Sequence[str] | None = None) -> Options:
    """The options; `--quick` sets small defaults that explicit options still override."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.e2e", description=__doc__)
    parser.add_argument("--mentions", type=int, help="one volume (default 100,000; quick 2,000)")
    parser.add_argument(
        "--volumes",
        nargs="?",
        const=DEFAULT_VOLUMES,
        help=f"comma-separated volumes, each on fresh services (alone: {DEFAULT_VOLUMES})",
    )
    parser.add_argument("--levels", help="background loads, mentions/s (default 100,500,1000)")
    parser.add_argument("--level-seconds", type=float, help="each level's length (default 30)")
    parser.add_argument("--probes", type=int, help="complaints timed per level (default 20)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--out", type=Path, help="results directory (default .run/bench-e2e/<time>)"
    )
    parser.add_argument("--stall-s", type=float, default=90.0, help="give up after no progress")
    parser.add_argument("--no-ceiling", action="store_true", help="skip the raw broker runs")
    parser.add_argument("--quick", action="store_true", help="a smoke run of about two minutes")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy on every service and ingest, per phase, into <out>/profiles",
    )
    parser.add_argument(
        "--scorers", type=int, default=1, help="scorer workers in one group (default 1)"
    )
    args = parser.parse_args(argv)
    quick = bool(args.quick)
    if args.volumes:
        volumes = _numbers(args.volumes)
    else:
        volumes = [args.mentions if args.mentions is not None else (2000 if quick else 100_000)]
    levels = _numbers(args.levels) if args.levels else ([50] if quick else [100, 500, 1000])
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if min(volumes) < 1 or (levels and min(levels) <= 0):
        parser.error("volumes and levels must be positive")
    if args.scorers < 1:
        parser.error("--scorers must be at least 1")
    return Options(
        volumes=volumes,
        levels=[float(level) for level in levels],
        level_seconds=args.level_seconds if args.level_seconds else (10.0 if quick else 30.0),
        probes=args.probes or (3 if quick else 20),
        seed=args.seed,
        out_dir=args.out or Path(".run") / "bench-e2e" / stamp,
        stall_s=args.stall_s,
        ceiling=not args.no_ceiling,
        profile=bool(args.profile),
        scorers=args.scorers,
    )


def machine() -> dict[str, Any]:
    """Where the run happened, with the load average: other work on the machine shows there."""
    model = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        model = next(
            (line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), ""
        )
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": model,
        "cpus": os.cpu_count(),
        "loadavg_at_start": os.getloadavg(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    out = options.out_dir.resolve()
    out.mkdir(parents=True, exist_ok=True)
    run_id = uuid.uuid4().hex[:6]
    about = machine()
    about["profiled"] = options.profile  # py-spy's sampling takes some CPU from the services
    about["scorer_workers"] = options.scorers
    volumes: list[VolumeResult] = []
    levels: list[LevelResult] = []
    ceiling = None
    _say(f"bench-e2e: volumes {options.volumes}, levels {options.levels}/s; results in {out}")
    # `timeout` and Ctrl-C alike: unwind, so that everything started is stopped again.
    signal.signal(signal.SIGTERM, _interrupt)
    stopped: str | None = None
    try:
        with contextlib.ExitStack() as stack:
            _say("starting Kafka and PostgreSQL")
            broker = stack.enter_context(infra.broker())
            server_url = stack.enter_context(infra.postgres())
            pages = stack.enter_context(infra.pages_receiver())
            largest = max(options.volumes)
            if options.ceiling:
                ceiling = _ceiling(bootstrap=broker.bootstrap, options=options, run_id=run_id)
            levels_after = options.volumes.index(largest)  # on the largest volume's services, once
            for i, volume in enumerate(options.volumes):
                _one_volume(
                    options=options,
                    volume=volume,
                    broker=broker,
                    server_url=server_url,
                    pages=pages,
                    out=out,
                    prefix=f"bench{run_id}v{volume}.",
                    volumes=volumes,
                    levels=levels if i == levels_after else None,
                )
    except (KeyboardInterrupt, Exception) as exc:
        traceback.print_exc()
        stopped = f"{type(exc).__name__}: {exc}".strip()
        _say(f"stopped early ({stopped}); what was measured so far follows")
    about["stopped_early"] = stopped
    about["loadavg_at_end"] = os.getloadavg()
    results = Results(
        machine=about, seed=options.seed, ceiling=ceiling, volumes=volumes, levels=levels
    )
    table = render(results)
    print(table)
    (out / "results.json").write_text(json.dumps(to_json(results), indent=2) + "\n")
    (out / "table.md").write_text(table)
    plot(results, out / "plot.png")
    _say(f"wrote {out / 'results.json'}, {out / 'table.md'} and {out / 'plot.png'}")
    return 0 if stopped is None else 1


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _ceiling(*, bootstrap: str, options: Options, run_id: str) -> Ceiling:
    largest = max(options.volumes)
    _say(f"ceiling: raw produce and consume of {largest:,} values")
    records = (
        (g.root_id.encode(), g.line)
        for g in generate(total=largest, seed=options.seed, start=datetime.now(UTC))
    )
    ceiling = measure_ceiling(bootstrap=bootstrap, topic=f"bench{run_id}.ceiling", records=records)
    _say(f"  produce {ceiling.produce_per_s:,.0f}/s, consume {ceiling.consume_per_s:,.0f}/s")
    return ceiling


def _one_volume(
    *,
    options: Options,
    volume: int,
    broker: infra.Broker,
    server_url: str,
    pages: infra.Pages,
    out: Path,
    prefix: str,
    volumes: list[VolumeResult],
    levels: list[LevelResult] | None,
) -> None:
    """A fresh prefix, database and services; the volume at full speed; then the load levels.
    Each result is appended as soon as it is measured, so an interrupted run keeps it."""
    log_dir = out / f"logs-{volume}"
    log_dir.mkdir(exist_ok=True)
    path = out / f"mentions-{volume}.jsonl"
    id_prefix = f"v{volume}"
    _say(f"volume {volume:,}: generating {path.name}")
    expected = write_mentions(path=path, total=volume, seed=options.seed, prefix=id_prefix)
    broker.create_topics(prefix)
    with contextlib.ExitStack() as scope:
        database_url = scope.enter_context(infra.fresh_database(server_url))
        env = infra.service_env(
            bootstrap=broker.bootstrap,
            prefix=prefix,
            database_url=database_url,
            brands=brand_terms(),
            pages=pages,
        )
        _say(f"  starting scorer ({options.scorers} worker(s)), alerts and api")
        services = scope.enter_context(
            infra.services(env=env, log_dir=log_dir, scorers=options.scorers)
        )
        store = Store(database_url)
        scope.callback(store.close)
        running = Stack(
            services=services,
            bootstrap=broker.bootstrap,
            pages=pages,
            store=store,
            log_dir=log_dir,
            stall_s=options.stall_s,
            profiles=out / "profiles" if options.profile else None,
        )
        _say(f"  feeding {volume:,} mentions at full speed ({expected:,} name a brand)")
        volumes.append(
            run_volume(
                stack=running,
                path=path,
                volume=volume,
                expected=expected,
                id_prefix=f"{id_prefix}:",
            )
        )
        path.unlink()  # up to a few hundred MB; the seed makes it again
        if levels is None:
            return
        for number, rate in enumerate(options.levels):
            _say(f"load {rate:,.0f}/s for {options.level_seconds:.0f} s, {options.probes} probes")
            level = run_level(
                stack=running,
                rate=rate,
                seconds=options.level_seconds,
                probes=options.probes,
                seed=options.seed + int(rate) + number,
                number=number,
            )
            levels.append(level)
            if not level.drained:
                _say("  the store did not catch up: higher levels would measure the backlog")
                break
