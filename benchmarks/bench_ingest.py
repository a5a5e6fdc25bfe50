"""Ingest throughput into Kafka against a raw produce loop, and brand matching with 1,000 rules.

    deploy/kafka/kafka.sh start --port 19392 --controller-port 19393
    .venv/bin/python benchmarks/bench_ingest.py --bootstrap 127.0.0.1:19392 [--mentions 20000]

Throughput: the same Mention JSON lines, on the same broker in the same run, through
`replay` into a BusSink (parse, normalise, match, de-duplicate, produce with the ingest's
producer settings, mentions handed over in groups as a replay from a file is) and through
a bare kafka-python loop sending the lines' bytes with the same producer settings
(`PRODUCER_SETTINGS`); each to its own new topic, round-robin --repeat times, fastest run
kept. The ratio replay / raw is the share of the broker's rate ingest keeps (goal ≥ 0.8).

Matching: the rules and mentions of `bench_rules.py`, 1,000 rules as live rules of their
brands (`smileback.ingest.live.combine`), the time of `match` per mention, median and p99.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import uuid

from bench_rules import _brands, _mentions, _per_mention, _rule  # benchmarks/ is on sys.path
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from timing import interleaved

from smileback.common.clock import utc_now
from smileback.common.events import Mention, encode
from smileback.common.kafka_bus import PRODUCER_SETTINGS, KafkaBus
from smileback.common.rules import compile_rule
from smileback.common.topics import Topics
from smileback.ingest.dedupe import SeenIds
from smileback.ingest.live import combine
from smileback.ingest.replay import replay
from smileback.ingest.sinks import BusSink


def _lines(texts: list[str], count: int) -> list[bytes]:
    return [
        encode(Mention(id=f"bench:{i}", text=texts[i % len(texts)], created_at=utc_now())) + b"\n"
        for i in range(count)
    ]


def _new_topics(bootstrap: str) -> Topics:
    topics = Topics(prefix=f"bench{uuid.uuid4().hex[:8]}.")
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="bench-ingest")
    try:
        admin.create_topics(
            [
                NewTopic(name=name, num_partitions=n, replication_factor=1)
                for name, n in [(topics.raw, 4), (topics.dlq, 1)]
            ]
        )
    finally:
        admin.close()
    return topics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--mentions", type=int, default=20_000)
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    brands = _brands(args.rules)
    live = {
        f"r{i}": (name, compile_rule(_rule(i, name, cat))) for i, (name, cat) in enumerate(brands)
    }
    matcher = combine(static=(), live=live)
    texts = _mentions(brands, 3000)
    lines = _lines(texts, args.mentions)

    def through_replay() -> int:
        bus = KafkaBus(args.bootstrap, client_id="bench-replay", compression="gzip")
        sink = BusSink(bus=bus, topics=_new_topics(args.bootstrap), clock=utc_now)
        report = replay(
            lines=lines,
            sink=sink,
            matcher=matcher,
            seen=SeenIds(),
            clock=utc_now,
            grouped=True,  # as `smileback ingest replay` reads a file
        )
        sink.flush()
        bus.close()
        return report.published

    def raw_loop() -> int:
        # KafkaBus's producer settings, without anything ingest does to a record.
        producer = KafkaProducer(
            bootstrap_servers=args.bootstrap, compression_type="gzip", **PRODUCER_SETTINGS
        )
        topic = _new_topics(args.bootstrap).raw
        for line in lines:
            producer.send(topic, value=line)
        producer.flush()
        producer.close()
        return len(lines)

    print(f"benchmark: {len(lines)} mentions, {len(live)} live rules", file=sys.stderr)
    best = interleaved(
        args.repeat, {"replay into Kafka": through_replay, "raw produce loop": raw_loop}
    )
    raw_rate = len(lines) / best["raw produce loop"].wall_s
    # Rates count the lines taken in: replay publishes only the mentions some rule matches.
    print("| path | lines in | records produced | wall s | lines/s | vs raw |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, timing in best.items():
        rate = len(lines) / timing.wall_s
        print(
            f"| {label} | {len(lines)} | {timing.count} | {timing.wall_s:.2f} | {rate:,.0f} "
            f"| {rate / raw_rate:.2f} |"
        )

    times = [sys.maxsize] * len(texts)
    mentions = [Mention(id=f"m{i}", text=text) for i, text in enumerate(texts)]
    by_text = dict(zip(texts, mentions, strict=False))
    for _ in range(args.repeat):
        _per_mention(lambda text: matcher.match(mention=by_text[text]), texts, times)
    micros = sorted(t / 1000 for t in times)
    p99 = micros[min(len(micros) - 1, int(len(micros) * 0.99))]
    print()
    print("| matching | rules | mentions | median µs | p99 µs |")
    print("|---|---:|---:|---:|---:|")
    median = statistics.median(micros)
    print(f"| live rules matcher | {len(live)} | {len(texts)} | {median:.1f} | {p99:.1f} |")


if __name__ == "__main__":
    main()
