"""The alerts service working through a backlog of scored mentions, against decoding them alone.

    .venv/bin/python benchmarks/bench_alerts.py [--mentions 50000] [--repeat 3] \
        [--database-url postgresql+psycopg://...]

The mentions are the end-to-end benchmark's (`e2e/generator.py`: three brands, hot threads,
pile-ons, about 15 % complaints), scored by the shipped scorer pipeline in batches of 500
before anything is timed, and put on an in-process bus keyed by thread root. Steps:
- decode (baseline): each record decoded and validated as a ScoredMention, nothing else;
- alerts service: the service's consumer loop as `smileback alerts` runs it (polls of 500,
  each handled, its events published and its state stored in one transaction, offsets
  committed; the escalation tick every second) on a fresh alerts database (a SQLite file
  unless --database-url names PostgreSQL, whose alerts tables are dropped before each run).
Round-robin --repeat times, fastest run kept. Kafka is not involved: the figures are the
service's own cost per mention. Not run in CI.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from e2e.generator import brand_terms, generate  # benchmarks/ is on sys.path
from timing import interleaved

from smileback.alerts.outbox import make_engine
from smileback.alerts.outbox.db import Base
from smileback.alerts.paging import Paging
from smileback.alerts.policy import Policy, brand_handles
from smileback.alerts.service import AlertsService
from smileback.common.bus import InMemoryBus
from smileback.common.clock import utc_now
from smileback.common.events import Mention, ScoredMention, decode, encode
from smileback.common.logging import configure_logging
from smileback.common.loop import pump
from smileback.common.oncall import default_oncall
from smileback.common.topics import Topics
from smileback.scorer.factory import default_pipeline

_BATCH = 500
_TICK_S = 1.0  # AlertsSettings.alerts_tick_s's default


def _scored(total: int) -> list[ScoredMention]:
    """`total` generated mentions, those naming a brand scored as the scorer would."""
    start = utc_now() - timedelta(seconds=total * 0.01)  # a backlog of the last minutes
    pipeline = default_pipeline()
    branded = [g for g in generate(total=total, seed=13, start=start) if g.brand is not None]
    out: list[ScoredMention] = []
    for i in range(0, len(branded), _BATCH):
        mentions = []
        for g in branded[i : i + _BATCH]:
            mention = Mention.model_validate_json(g.line)
            assert mention.created_at is not None
            mentions.append(
                mention.model_copy(
                    update={
                        "brand": g.brand,  # what ingest's brand rules would set
                        "ingested_at": mention.created_at + timedelta(milliseconds=50),
                    }
                )
            )
        out += pipeline.score_batch(mentions=mentions, now=mentions[-1].ingested_at or start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="default: a SQLite file per run")
    args = parser.parse_args()
    configure_logging(level="WARNING", fmt="console")  # the tables alone on stdout
    topics = Topics()
    print(f"generating and scoring {args.mentions} mentions", file=sys.stderr, flush=True)
    scored = _scored(args.mentions)
    values = [(m.root_id, encode(m)) for m in scored]
    terms = brand_terms()
    paging = Paging(
        policy=Policy().with_handles(brand_handles(terms)),
        oncall=default_oncall(notify=["webhook"]),
        notifiers=frozenset({"webhook"}),
    )

    def decode_only() -> int:
        return sum(1 for _, value in values if decode(ScoredMention, value))

    def alerts() -> int:
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(args.database_url or f"sqlite:///{Path(tmp) / 'alerts.db'}")
            Base.metadata.drop_all(engine)
            bus = InMemoryBus(topics.all())
            for key, value in values:
                bus.publish(topics.scored, key=key, value=value)
            service = AlertsService.start(
                engine=engine, bus=bus, topics=topics, clock=utc_now, paging=paging
            )
            consumer = bus.consumer([topics.scored, topics.incidents], group="bench-alerts")
            handled, last_tick = 0, time.monotonic()
            # Its own incident events come back on the incidents topic, as they do from Kafka.
            while count := pump(
                consumer=consumer, bus=bus, handler=service.handle, max_records=_BATCH
            ):
                handled += count
                if time.monotonic() - last_tick >= _TICK_S:
                    service.tick()
                    last_tick = time.monotonic()
            engine.dispose()
        return handled

    print(f"benchmark: {len(values)} scored mentions, best of {args.repeat}", file=sys.stderr)
    best = interleaved(args.repeat, {"decode (baseline)": decode_only, "alerts service": alerts})
    print("\n| step | records/s | CPU ms per record |\n|---|---:|---:|")
    for label, timing in best.items():
        rate = timing.count / timing.wall_s
        print(f"| {label} | {rate:,.0f} | {1000 * timing.cpu_s / timing.count:.3f} |")
    base, service = best["decode (baseline)"], best["alerts service"]
    per_record = (service.cpu_s / service.count) / (base.cpu_s / base.count)
    print(f"\nalerts service / decode, CPU per record: {per_record:.1f}x")


if __name__ == "__main__":
    main()
