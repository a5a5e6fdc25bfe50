"""The benchmark database of bench_api_queries.py: a month of synthetic mentions and incidents.

Mentions are loaded with COPY into the API's own schema, indexes dropped during the load and
rebuilt after, then VACUUM ANALYZE; brands, platforms and reach tiers are skewed like real
traffic, and one rare word stands in about 1 of 10,000 mentions.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_URL = "postgresql+psycopg://smileback:smileback@127.0.0.1:55432/smileback"
BENCH_DB = "smileback_bench"
END = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 30
BRANDS = ["acme", "acme", "acme", "bolt", "bolt", "cinder", "dune", "ember"]  # skewed
PLATFORMS = ["mastodon", "mastodon", "bluesky", "webhook"]
TIERS = ["none"] * 60 + ["nano"] * 25 + ["micro"] * 10 + ["macro"] * 4 + ["mega"]
WORDS = [
    *("coffee", "order", "late", "cold", "cup", "barista", "latte", "store", "app", "queue"),
    *("price", "service", "staff", "morning", "beans", "roast", "milk", "sugar", "table"),
    *("wifi", "music", "card", "loyalty", "points", "delivery"),
]
RARE = "espressogate"  # in about 1 of 10,000 mentions
COLUMNS = (
    "id, brand, platform, text, url, lang, author_handle, author_followers, created_at, "
    "ingested_at, thread_root_id, negativity, is_negative, sentiment, reach, reach_tier, "
    "thread_velocity, pile_on_risk, model_version, redacted, payload, updated_at"
)
FOLLOWERS = {"none": 300, "nano": 4_000, "micro": 40_000, "macro": 400_000, "mega": 4_000_000}


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- loading --------------------------------------------------------------------------------


def bench_database(server_url: str) -> str:
    """The URL of the benchmark's own database on that server, created if missing."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": BENCH_DB}
        ).first()
        if exists is None:
            connection.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
    admin.dispose()
    return make_url(server_url).set(database=BENCH_DB).render_as_string(hide_password=False)


def rows(count: int, *, seed: int) -> Iterator[tuple[object, ...]]:
    """`count` synthetic scored mentions as table rows, oldest first."""
    rng = random.Random(seed)
    start = END - timedelta(days=DAYS)
    step = DAYS * 86400 / count
    root = ""
    for i in range(count):
        mention_id = f"bench:{i:07d}"
        if not root or rng.random() < 0.2:
            root = mention_id  # threads of five mentions on average
        brand = rng.choice(BRANDS)
        tier = rng.choice(TIERS)
        negativity = round(rng.betavariate(0.6, 1.4), 4)
        words = rng.sample(WORDS, 8)
        if rng.random() < 0.05:
            words.insert(3, "refund")
        if rng.random() < 0.0001:
            words.insert(2, RARE)
        text_ = f"@{brand}coffee " + " ".join(words)
        created = start + timedelta(seconds=i * step)
        handle = f"user{rng.randrange(50_000)}"
        followers = int(FOLLOWERS[tier] * rng.uniform(0.5, 1.5))
        payload = {
            "schema_version": 1,
            "id": mention_id,
            "text": text_,
            "platform": rng.choice(PLATFORMS),
            "brand": brand,
            "url": f"https://social.example/@{handle}/{i}",
            "lang": "en",
            "created_at": created.isoformat(),
            "author": {"id": handle, "handle": handle, "followers": followers},
            "thread": {"root_id": root, "parent_id": None},
            "scores": {"negativity": negativity, "reach_tier": tier, "model_version": "bench"},
        }
        yield (
            mention_id,
            brand,
            payload["platform"],
            text_,
            payload["url"],
            "en",
            handle,
            followers,
            created,
            created + timedelta(seconds=2),
            root,
            negativity,
            negativity >= 0.6,
            "negative" if negativity >= 0.6 else "neutral",
            min(1.0, len(str(followers)) / 7),
            tier,
            round(rng.random() * 2, 3),
            round(rng.random() * negativity, 3),
            "bench",
            False,
            json.dumps(payload),
            created,
        )


def load(engine: Engine, *, count: int, seed: int) -> None:
    """COPY `count` mentions in, with the secondary indexes rebuilt afterwards."""
    with engine.begin() as connection:
        indexes = connection.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'mentions' "
                "AND indexname <> 'mentions_pkey'"
            )
        ).all()
        connection.execute(text("TRUNCATE mentions, incidents, incident_events, queue_items"))
        for name, _definition in indexes:
            connection.execute(text(f'DROP INDEX "{name}"'))
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY mentions ({COLUMNS}) FROM STDIN") as copy:
            for n, row in enumerate(rows(count, seed=seed), start=1):
                copy.write_row(row)
                if n % 50_000 == 0:
                    rate = n / (time.perf_counter() - started)
                    say(f"  loaded {n:,}/{count:,} mentions ({rate:,.0f}/s)")
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as connection:
        for name, definition in indexes:
            say(f"  building {name}")
            connection.execute(text(definition))
    # VACUUM (not in a transaction) sets the visibility map, as autovacuum would in production,
    # so index-only scans need no heap fetches.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        say("  vacuum analyze")
        connection.execute(text("VACUUM ANALYZE mentions"))
    say(f"  loaded in {time.perf_counter() - started:.0f} s")


def seed_incidents(engine: Engine, *, count: int) -> None:
    """A few hundred incidents, so the incidents listing has something to page through."""
    with engine.begin() as connection:
        for i in range(count):
            at = END - timedelta(minutes=i * 37)
            connection.execute(
                text(
                    "INSERT INTO incidents (id, brand, thread_root_id, rule, severity, status, "
                    "opened_at, last_event_at, mention_count, peak_velocity, summary, "
                    "paged_count, context) VALUES (:id, :brand, :root, 'bench', :sev, :status, "
                    ":at, :at, 3, 1.0, 'bench incident', 1, '{}')"
                ),
                {
                    "id": f"inc_bench_{i:05d}",
                    "brand": BRANDS[i % len(BRANDS)],
                    "root": f"bench:{i * 97:07d}",
                    "sev": ["critical", "warning"][i % 2],
                    "status": ["open", "acknowledged", "resolved"][i % 3],
                    "at": at,
                },
            )


def stored(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM mentions")).scalar_one())
