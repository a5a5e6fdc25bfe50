"""Scorer throughput with its state updates included, as ratios against the stateless step.

    .venv/bin/python benchmarks/bench_scorer_state.py [--total 5000] [--repeat 3] [--plot out.png]
        [--bootstrap 127.0.0.1:9092]

Two workloads of parsed mentions: the demo scenario (mostly small threads, one pile-on)
and hot threads (ten threads of 500 replies each within ten minutes, the worst case for
per-thread state). Rows, all in the same run, pinned to one CPU, in batches of 500:

- stateless: text scores for the batch, then reach and the Scores per mention
- in-memory state: ScoringPipeline.score_batch (thread, brand and author state in
  memory), what the embedded demo and `smileback score` run
- table-style state: the same two steps on the scorer's table stores (`TableStore`: each
  value as its JSON bytes, written back once a batch with its changelog record), on
  Faust's memory store, without Kafka
- Faust worker (with --bootstrap, once): one `smileback scorer` process on its own core
  and a real broker, working off a backlog of the workload under a fresh topic prefix,
  timed from the moment it owns its partitions until the last scored mention is read
  back: Kafka, both agents, the by-brand hop and the changelog writes included

The in-process rows run round-robin, best wall time of --repeat. Prints a table (each
row's rate as a ratio to the stateless row of its workload) and writes a bar chart PNG.
Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from timing import interleaved  # benchmarks/timing.py, beside this script

from smileback.cli.demo.scenario import generate
from smileback.common.events import Mention, ScoredMention, Scores, encode
from smileback.common.topics import Topics
from smileback.scorer.authors import AuthorState
from smileback.scorer.baseline import BrandState
from smileback.scorer.factory import default_pipeline
from smileback.scorer.pipeline import ScoringPipeline
from smileback.scorer.provision import ensure_topics
from smileback.scorer.reach import est_impressions, reach, reach_tier
from smileback.scorer.tables import Changelogs, PartitionEvent, TableStore, current_event
from smileback.scorer.threads import ThreadState

BATCH = 500
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _scenario(total: int) -> list[Mention]:
    mentions = []
    for line in generate(start=T0, total=total, prefix="bench"):
        try:
            mention = Mention.model_validate_json(line)
        except ValueError:
            continue  # the scenario's deliberately bad lines
        if not mention.deleted:  # tombstones pass through unscored: nothing to measure
            mentions.append(mention)
    return mentions


def _hot_threads(threads: int = 10, replies: int = 500) -> list[Mention]:
    texts = ("This is awful, I hate it", "Thanks, lovely!", "Worst service ever")
    out = []
    for j in range(replies):
        for n in range(threads):
            out.append(
                Mention(
                    id=f"hot{n}:r{j}",
                    text=texts[j % len(texts)],
                    brand="acme",
                    created_at=T0 + timedelta(seconds=j * 600 / replies),
                    thread={"root_id": f"hot{n}"},
                    author={"id": f"u{j}", "followers": 100 + j},
                )
            )
    return out


def _batches(mentions: list[Mention]) -> list[list[Mention]]:
    return [mentions[i : i + BATCH] for i in range(0, len(mentions), BATCH)]


def _stateless(pipeline: ScoringPipeline, mentions: list[Mention]) -> int:
    count = 0
    for batch in _batches(mentions):
        for mention, text in zip(batch, pipeline.text_scores(batch), strict=True):
            assert text is not None
            author = mention.author
            scores = Scores(
                negativity=text.negativity,
                is_negative=text.is_negative,
                sentiment=text.sentiment,
                reach=reach(author=author),
                reach_tier=reach_tier(followers=author.followers),
                est_impressions=est_impressions(
                    followers=author.followers, metrics=mention.metrics
                ),
                model_version=pipeline.scorer.model_version,
                explanation=list(text.explanation),
            )
            ScoredMention.of(mention, scores)
            count += 1
    return count


def _in_memory(mentions: list[Mention]) -> int:
    pipeline = default_pipeline()
    return sum(len(pipeline.score_batch(mentions=b, now=T0)) for b in _batches(mentions))


def _table_style(mentions: list[Mention]) -> int:
    pipeline = default_pipeline()
    changelogs = Changelogs()
    threads = TableStore(table=_Table("threads"), model=ThreadState, changelogs=changelogs)
    brands = TableStore(table=_Table("brands"), model=BrandState, changelogs=changelogs)
    authors = TableStore(table=_Table("authors"), model=AuthorState, changelogs=changelogs)
    event = PartitionEvent(topic="bench", partition=0)
    count = 0
    for batch in _batches(mentions):
        with current_event(event):
            for mention, text in zip(batch, pipeline.text_scores(batch), strict=True):
                assert text is not None
                staged = pipeline.thread_step(
                    mention=mention, text=text, now=T0, threads_store=threads
                )
                pipeline.brand_step(staged=staged, brands_store=brands, authors_store=authors)
                count += 1
        for store in (brands, authors, threads):  # written back once a batch, as the app does
            store.flush()
        changelogs.drain()
    return count


def _faust(
    bootstrap: str, mentions: list[Mention], cores: set[int] | None, *, timeout_s: float = 300.0
) -> tuple[float, int]:
    topics = Topics(prefix=f"bench{uuid.uuid4().hex[:8]}.")
    shared = {name: (partitions, {}) for name, partitions in topics.all().items()}
    ensure_topics(bootstrap=bootstrap, topics=shared, replicas=1)
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    for m in mentions:
        producer.send(topics.raw, key=m.root_id.encode(), value=encode(m))
    producer.flush()
    producer.close()
    reader = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    reader.assign([TopicPartition(topics.scored, p) for p in range(shared[topics.scored][0])])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "SMILEBACK_KAFKA_BOOTSTRAP": bootstrap,
        "SMILEBACK_TOPIC_PREFIX": topics.prefix,
        "SMILEBACK_METRICS_PORT": str(port),
        "SMILEBACK_LOG_LEVEL": "WARNING",
    }
    command = [str(Path(sys.executable).with_name("smileback")), "scorer"]
    deadline = time.monotonic() + timeout_s
    with subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL) as worker:
        if cores:
            os.sched_setaffinity(worker.pid, {max(cores)})  # its own core, as a deployment would
        try:
            while not _owns_partitions(port):
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the Faust worker did not get its partitions")
                time.sleep(0.1)
            started, scored, shown = time.perf_counter(), 0, 0.0
            while scored < len(mentions):
                if time.monotonic() > deadline:
                    raise SystemExit(f"only {scored} of {len(mentions)} scored in time")
                scored += sum(len(r) for r in reader.poll(timeout_ms=500).values())
                if time.monotonic() - shown > 2:
                    shown = time.monotonic()
                    print(f"  Faust worker: {scored}/{len(mentions)}", file=sys.stderr, flush=True)
            return time.perf_counter() - started, scored
        finally:
            worker.terminate()
            reader.close()


def _owns_partitions(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
            body = response.read().decode()
    except OSError:
        return False
    return any(
        line.startswith("smileback_scorer_partitions ") and float(line.split()[1]) > 0
        for line in body.splitlines()
    )


class _Table:
    """Stands in for a Faust table on the memory store: its name, its data, its changelog."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.data = _Store()
        self.changelog_topic = SimpleNamespace(get_topic_name=lambda: f"bench-{name}-changelog")


class _Store(dict[str, bytes]):
    """The memory store's mapping, which notes a delivered changelog offset (none here)."""

    def set_persisted_offset(self, tp: Any, offset: int) -> None:
        pass


def _plot(rows: list[tuple[str, str, float, int]], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(8, 4))
    labels = [f"{workload}\n{name}" for workload, name, _, _ in rows]
    rates = [count / seconds for _, _, seconds, count in rows]
    colours = ["#888888" if name == "stateless" else "#2a7ab0" for _, name, _, _ in rows]
    ax.bar(range(len(rows)), rates, color=colours)
    ax.set_xticks(range(len(rows)), labels, fontsize=8)
    ax.set_ylabel("mentions / s (one core)")
    ax.set_title("Scorer throughput: stateless step vs state updates included")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=5000, help="scenario mentions")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--plot", type=Path, default=Path(tempfile.gettempdir()) / "bench_scorer_state.png"
    )
    parser.add_argument("--bootstrap", help="a Kafka broker for the Faust worker row")
    args = parser.parse_args()
    cores = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    if cores:
        os.sched_setaffinity(0, {min(cores)})  # one core for the in-process rows
    workloads = {"scenario": _scenario(args.total), "hot threads": _hot_threads()}
    stateless_pipeline = default_pipeline()
    rows: list[tuple[str, str, float, int]] = []
    for workload, mentions in workloads.items():
        print(f"{workload}: {len(mentions)} mentions, best of {args.repeat}", file=sys.stderr)
        best = interleaved(
            args.repeat,
            {
                "stateless": lambda m=mentions: _stateless(stateless_pipeline, m),
                "in-memory state": lambda m=mentions: _in_memory(m),
                "table-style state": lambda m=mentions: _table_style(m),
            },
        )
        rows += [(workload, name, t.wall_s, t.count) for name, t in best.items()]
        if args.bootstrap:
            rows.append((workload, "Faust worker", *_faust(args.bootstrap, mentions, cores)))
    print(f"{'workload':<12} {'path':<18} {'mentions':>8} {'seconds':>8} {'/s':>8} {'ratio':>7}")
    base = {w: count / seconds for w, name, seconds, count in rows if name == "stateless"}
    for workload, name, seconds, count in rows:
        rate = count / seconds
        ratio = rate / base[workload]
        print(f"{workload:<12} {name:<18} {count:>8} {seconds:>8.3f} {rate:>8,.0f} {ratio:>6.2f}x")
    _plot(rows, args.plot)
    print(f"plot: {args.plot}", file=sys.stderr)


if __name__ == "__main__":
    main()
