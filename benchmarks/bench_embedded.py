"""Throughput of the embedded pipeline, as ratios against a JSON-parse baseline in the same run.

    .venv/bin/python benchmarks/bench_embedded.py [--total 2000] [--repeat 3]

Stages: parse only (baseline: decode every line as a Mention), scoring only (the
scorer pipeline over the parsed mentions in batches of 500), and the whole embedded
stack (ingest -> scorer -> alerts -> projector into SQLite). Prints a table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

from smileback.cli.demo.embedded import EmbeddedStack
from smileback.cli.demo.scenario import BRAND, BRAND_TERMS, generate
from smileback.common.clock import utc_now
from smileback.common.events import Mention
from smileback.scorer.factory import default_pipeline


def _best_of(repeat: int, label: str, work: Callable[[], int]) -> tuple[float, int]:
    best = float("inf")
    count = 0
    for i in range(repeat):
        print(f"  {label}: run {i + 1}/{repeat}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        count = work()
        best = min(best, time.perf_counter() - started)
    return best, count


def _try_parse(line: bytes) -> Mention | None:
    try:
        return Mention.model_validate_json(line)
    except ValueError:
        return None  # the scenario's deliberately bad lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    lines = generate(start=datetime(2026, 11, 1, tzinfo=UTC), total=args.total, prefix="bench")

    def parse() -> int:
        return sum(_try_parse(line) is not None for line in lines)

    mentions = [m for m in map(_try_parse, lines) if m is not None]

    def score() -> int:
        pipeline = default_pipeline()
        now = utc_now()
        return sum(
            len(pipeline.score_batch(mentions=mentions[i : i + 500], now=now))
            for i in range(0, len(mentions), 500)
        )

    def stack() -> int:
        with tempfile.TemporaryDirectory() as tmp:
            embedded = EmbeddedStack.build(
                database_url=f"sqlite:///{Path(tmp) / 'bench.db'}",
                brands={BRAND: list(BRAND_TERMS)},
                clock=utc_now,
                console=StringIO(),
            )
            embedded.ingest(lines)
            embedded.drain()
            count = embedded.summary().scored
            embedded.engine.dispose()
            return count

    print(f"benchmark: {len(lines)} scenario lines, best of {args.repeat}", file=sys.stderr)
    rows = [
        ("parse (baseline)", *_best_of(args.repeat, "parse", parse)),
        ("score batches", *_best_of(args.repeat, "score", score)),
        ("embedded stack", *_best_of(args.repeat, "stack", stack)),
    ]
    base_rate = rows[0][2] / rows[0][1]
    print(f"{'stage':<20} {'records':>8} {'seconds':>9} {'records/s':>11} {'vs baseline':>12}")
    for name, seconds, count in rows:
        rate = count / seconds
        print(f"{name:<20} {count:>8} {seconds:>9.3f} {rate:>11,.0f} {rate / base_rate:>11.3f}x")


if __name__ == "__main__":
    main()
