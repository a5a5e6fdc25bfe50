"""The api's projector storing scored mentions in PostgreSQL, against a bare upsert loop.

    make postgres-start        # PostgreSQL on 127.0.0.1:55432 (or pass --database-url)
    .venv/bin/python benchmarks/bench_projector.py [--mentions 20000] [--batch 500]

Both sides take the same ScoredMention JSON records in batches of --batch and upsert them
into the migrated `mentions` table, emptied before each run, one transaction per batch:
- projector: the api's batch handler (decode and validate each record, check it is
  storable, write the batch, count it);
- raw: `json.loads` of each record and psycopg's `executemany` of one
  INSERT ... ON CONFLICT (id) DO UPDATE of the same columns, nothing else.
Round-robin --repeat times, fastest run kept. The ratio projector / raw is the share of the
database's upsert rate the projector keeps. Not run in CI.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from timing import interleaved  # benchmarks/ is on sys.path

from smileback.api.projector import make_handler
from smileback.api.store import make_engine
from smileback.api.store.migrate import upgrade
from smileback.common.bus import InMemoryBus, Record
from smileback.common.events import Author, ScoredMention, Scores, Sentiment, Thread, encode
from smileback.common.topics import Topics

_COLUMNS = (
    "id",
    "brand",
    "platform",
    "text",
    "url",
    "lang",
    "author_handle",
    "author_followers",
    "created_at",
    "ingested_at",
    "thread_root_id",
    "negativity",
    "is_negative",
    "sentiment",
    "reach",
    "reach_tier",
    "thread_velocity",
    "pile_on_risk",
    "model_version",
    "redacted",
    "payload",
    "updated_at",
)
_UPSERT = (
    f"INSERT INTO mentions ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join(['%s'] * len(_COLUMNS))}) ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS[1:])
)
_T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


def _records(count: int, topics: Topics) -> list[Record]:
    records = []
    for n in range(count):
        negativity = (n * 37 % 100) / 100
        mention = ScoredMention(
            id=f"bench:{n}",
            text=f"@acmecoffee order {n} never arrived, third time this month",
            platform="mastodon",
            brand="acme",
            url=f"https://social.example/@user{n % 997}/{n}",
            lang="en",
            created_at=_T0 + timedelta(seconds=n),
            ingested_at=_T0 + timedelta(seconds=n, milliseconds=200),
            author=Author(id=f"u{n % 997}", handle=f"user{n % 997}", followers=n % 5000),
            thread=Thread(root_id=f"bench:{n - n % 20}"),
            scores=Scores(
                negativity=negativity,
                is_negative=negativity >= 0.5,
                sentiment=Sentiment.NEGATIVE if negativity >= 0.5 else Sentiment.POSITIVE,
                reach=0.3,
                thread_velocity=1.5,
                model_version="bench",
            ),
        )
        records.append(Record(topics.scored, 0, n, None, encode(mention)))
    return records


def _row(value: bytes, now: datetime) -> tuple[object, ...]:
    data = json.loads(value)
    scores, author = data["scores"], data["author"]
    return (
        data["id"],
        data["brand"],
        data["platform"],
        data["text"],
        data["url"],
        data["lang"],
        author["handle"],
        author["followers"],
        data["created_at"],
        data["ingested_at"],
        data["thread"]["root_id"] or data["id"],
        scores["negativity"],
        scores["is_negative"],
        scores["sentiment"],
        scores["reach"],
        scores["reach_tier"],
        scores["thread_velocity"],
        scores["pile_on_risk"],
        scores["model_version"],
        False,
        json.dumps(data),
        now,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default="postgresql+psycopg://smileback:smileback@127.0.0.1:55432/smileback",
    )
    parser.add_argument("--mentions", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    engine = make_engine(args.database_url)
    upgrade(engine)
    topics = Topics()
    bus = InMemoryBus(topics.all())
    handle = make_handler(engine=engine, bus=bus, topics=topics, clock=lambda: datetime.now(UTC))
    records = _records(args.mentions, topics)
    batches = [records[i : i + args.batch] for i in range(0, len(records), args.batch)]
    dsn = make_url(args.database_url).set(drivername="postgresql").render_as_string(False)

    def empty() -> None:
        with engine.begin() as connection:
            connection.execute(text("TRUNCATE mentions"))

    def projector() -> int:
        empty()
        for batch in batches:
            handle(batch)
        return len(records)

    def raw() -> int:
        empty()
        with psycopg.connect(dsn) as connection:
            for batch in batches:
                now = datetime.now(UTC)
                with connection.transaction(), connection.cursor() as cursor:
                    cursor.executemany(_UPSERT, [_row(r.value, now) for r in batch])
        return len(records)

    print(f"benchmark: {len(records)} mentions in batches of {args.batch}", file=sys.stderr)
    best = interleaved(args.repeat, {"projector": projector, "raw executemany": raw})
    empty()
    print("\n| step | mentions/s | CPU ms per 1,000 |\n|---|---:|---:|")
    for label, timing in best.items():
        rate = timing.count / timing.wall_s
        print(f"| {label} | {rate:,.0f} | {1000 * timing.cpu_s / timing.count * 1000:.1f} |")
    ratio = best["raw executemany"].wall_s / best["projector"].wall_s
    print(f"\nprojector / raw: {ratio:.2f}")


if __name__ == "__main__":
    main()
