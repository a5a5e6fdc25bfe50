"""Latency of the API's main queries with 1,000,000 mentions in PostgreSQL, through the app.

    make postgres-start        # PostgreSQL on 127.0.0.1:55432 (or pass --database-url)
    .venv/bin/python benchmarks/bench_api_queries.py [--mentions 1000000] [--requests 200]

Creates (or reuses, when it already holds --mentions rows) the database `smileback_bench`
on that server, migrates it, loads the mentions with COPY (indexes dropped during the load
and rebuilt after, then VACUUM ANALYZE), and serves the app with uvicorn on 127.0.0.1. Each query
is sent --requests times over one keep-alive connection with a read key, after a warm-up.
The baseline, `GET /v1/ping`, is one `SELECT 1` through the same path (auth, rate limit,
session, JSON), so each ratio says what the query itself costs. Prints a table and writes
a bar chart (--png, default .run/bench/api_queries.png). Not run in CI.
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import matplotlib
from api_dataset import (  # benchmarks/ is on sys.path when a script there runs
    BENCH_DB,
    DAYS,
    DEFAULT_URL,
    END,
    RARE,
    bench_database,
    load,
    say,
    seed_incidents,
    stored,
)
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from smileback.api.app import ApiOptions, create_app
from smileback.api.auth import Scope
from smileback.api.runner import build_server
from smileback.api.store import create_key, create_schema, make_engine

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import ScalarFormatter

# --- measuring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    name: str
    path: Callable[[random.Random], str]


@dataclass(frozen=True)
class Result:
    name: str
    p50_ms: float
    p99_ms: float
    items: float


def samples(engine: Engine) -> dict[str, list[str]]:
    """Real values to ask for: handles, thread roots, ids, and cursors deep in the listing."""
    with engine.connect() as connection:
        picked = connection.execute(
            text(
                "SELECT id, author_handle, thread_root_id FROM mentions "
                "TABLESAMPLE SYSTEM (0.1) LIMIT 500"
            )
        ).all()
    return {
        "ids": [r[0] for r in picked],
        "handles": [r[1] for r in picked],
        "roots": [r[2] for r in picked],
    }


def queries(sampled: dict[str, list[str]], cursors: list[str]) -> list[Query]:
    day = (END - timedelta(days=DAYS // 2)).date().isoformat()
    one_day = f"since={day}T00:00:00Z&until={day}T23:59:59Z"
    week = f"since={_z(END - timedelta(days=7))}&until={_z(END)}"
    month = f"since={_z(END - timedelta(days=30))}&until={_z(END)}"
    return [
        Query("baseline: GET /v1/ping (SELECT 1)", lambda r: "/v1/ping"),
        Query("newest 50", lambda r: "/v1/mentions?limit=50"),
        Query("brand", lambda r: "/v1/mentions?brand=bolt"),
        Query("brand + is_negative", lambda r: "/v1/mentions?brand=bolt&is_negative=true"),
        Query("min_negativity 0.95", lambda r: "/v1/mentions?min_negativity=0.95"),
        Query("min_reach_tier mega", lambda r: "/v1/mentions?min_reach_tier=mega"),
        Query("one day (time range)", lambda r: f"/v1/mentions?{one_day}"),
        Query("text contains 'refund'", lambda r: "/v1/mentions?text=refund"),
        Query(f"text contains rare '{RARE}'", lambda r: f"/v1/mentions?text={RARE}"),
        Query("author handle", lambda r: f"/v1/mentions?author={r.choice(sampled['handles'])}"),
        Query("thread", lambda r: f"/v1/mentions?thread_root_id={r.choice(sampled['roots'])}"),
        Query("page 20 (cursor)", lambda r: f"/v1/mentions?cursor={r.choice(cursors)}"),
        Query("mention by id", lambda r: f"/v1/mentions/{r.choice(sampled['ids'])}"),
        Query("stats 1h x 7 days, all brands", lambda r: f"/v1/stats/mentions?interval=1h&{week}"),
        Query(
            "stats 1d x 30 days, one brand",
            lambda r: f"/v1/stats/mentions?interval=1d&brand=acme&{month}",
        ),
        Query("open incidents", lambda r: "/v1/incidents?status=open"),
    ]


def _z(at: datetime) -> str:
    """A UTC time for a URL (no '+', which a query string reads as a space)."""
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def deep_cursors(client: httpx.Client, *, pages: int, count: int) -> list[str]:
    """Cursors `pages` pages deep, from a few starting points in time."""
    cursors: list[str] = []
    for start in range(count):
        since = _z(END - timedelta(days=start + 1))
        cursor = None
        for _ in range(pages):
            params = {"until": since, **({"cursor": cursor} if cursor else {})}
            cursor = client.get("/v1/mentions", params=params).json()["next_cursor"]
        if cursor:
            cursors.append(cursor)
    return cursors


def measure(client: httpx.Client, query: Query, *, requests: int, seed: int) -> Result:
    rng = random.Random(seed)
    for _ in range(max(5, requests // 10)):  # warm-up: connections, plans, caches
        client.get(query.path(rng)).raise_for_status()
    times, items = [], []
    for _ in range(requests):
        path = query.path(rng)
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        body = response.json()
        items.append(len(body["items"]) if "items" in body else 1)
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return Result(query.name, cuts[49], cuts[98], statistics.fmean(items))


def serve(engine: Engine) -> tuple[str, Callable[[], None]]:
    """The app under uvicorn on a free port; returns its base URL and a stop function."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(engine=engine, options=ApiOptions(rate_per_s=1e6, rate_burst=1_000_000))
    server = build_server(app=app, host="127.0.0.1", port=port)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(10)

    return f"http://127.0.0.1:{port}", stop


# --- reporting ------------------------------------------------------------------------------


def table(results: list[Result]) -> str:
    base = results[0].p50_ms
    width = max(len(r.name) for r in results)
    header = f"{'query':<{width}}  {'p50 ms':>8}  {'p99 ms':>8}  {'p50 / baseline':>14}"
    lines = [f"{header}  {'rows':>6}"]
    lines.append("-" * len(lines[0]))
    for r in results:
        ratio = r.p50_ms / base
        lines.append(
            f"{r.name:<{width}}  {r.p50_ms:8.2f}  {r.p99_ms:8.2f}  {ratio:13.1f}x  {r.items:6.1f}"
        )
    return "\n".join(lines)


def chart(results: list[Result], *, path: Path, mentions: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    names = [r.name for r in results][::-1]
    y = range(len(results))
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(results) + 1.5))
    ax.barh([i + 0.2 for i in y], [r.p99_ms for r in results][::-1], 0.4, label="p99")
    ax.barh([i - 0.2 for i in y], [r.p50_ms for r in results][::-1], 0.4, label="p50")
    ax.set_yticks(list(y), names)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.set_xlabel("latency through the app, ms (log scale)")
    ax.set_title(f"Smileback API query latency, {mentions:,} mentions in PostgreSQL")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help="any database on the server")
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reload", action="store_true", help="load even if already loaded")
    parser.add_argument("--png", type=Path, default=Path(".run/bench/api_queries.png"))
    args = parser.parse_args()

    url = bench_database(args.database_url)
    engine = make_engine(url)
    create_schema(engine)
    if args.reload or stored(engine) != args.mentions:
        say(f"loading {args.mentions:,} mentions into {BENCH_DB}")
        load(engine, count=args.mentions, seed=args.seed)
        seed_incidents(engine, count=600)
    else:
        say(f"reusing the {args.mentions:,} mentions already in {BENCH_DB}")
    with Session(engine) as session, session.begin():
        _, token = create_key(
            session=session, name="bench", scope=Scope.READ, now=END, expires_at=None
        )
    base, stop = serve(engine)
    results: list[Result] = []
    try:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            say("finding cursors 20 pages deep")
            cursors = deep_cursors(client, pages=19, count=5)
            for i, query in enumerate(queries(samples(engine), cursors), start=1):
                say(f"  [{i:2d}] {query.name}")
                results.append(measure(client, query, requests=args.requests, seed=args.seed))
    finally:
        stop()
        engine.dispose()
    print(f"\n{args.mentions:,} mentions, {args.requests} requests per query\n")
    print(table(results))
    chart(results, path=args.png, mentions=args.mentions)
    print(f"\nchart: {args.png}")


if __name__ == "__main__":
    main()
