"""A deterministic stream of mentions for the chaos tests, with what each line should become.

Several brands; many ordinary mentions from small accounts (chatter, questions, praise,
complaints, some replies spread over minutes); a few large-audience complaints that page;
mentions no brand matches; and malformed lines of every kind ingest must dead-letter. The
expectations (which ids get stored, which lines go to the DLQ and why, which incidents
must page) come from how each line was built, not from the services' own code.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from smileback.common.events import incident_id_for

__all__ = [
    "BRANDS",
    "Bad",
    "Feed",
    "bad_raw_records",
    "bad_scored_records",
    "build_feed",
]


@dataclass(frozen=True)
class _Brand:
    key: str
    name: str
    handle: str


_BRANDS = (
    _Brand("northwind", "Northwind Air", "@northwindair"),
    _Brand("bluepeak", "Bluepeak Broadband", "@bluepeaknet"),
    _Brand("harbor", "Harbor Mutual", "@harbormutual"),
    _Brand("quillby", "Quillby Parcels", "@quillbyparcels"),
)

# SMILEBACK_BRANDS for the services: brand -> match terms.
BRANDS: Mapping[str, list[str]] = {b.key: [b.name.lower(), b.handle] for b in _BRANDS}

# Written so the shipped negativity model reads them clearly (test_chaos.py checks the large
# complaints); {n} is the brand's name, {h} its @handle.
_LARGE_COMPLAINTS = (
    "{h} cancelled my booking twice, kept my money and support ignored every single message. "
    "Worst company I have dealt with in years. Absolutely disgraceful.",
    "Three weeks and {n} still has not fixed this. Rude staff, no refund, no apology. "
    "Terrible, awful service and I am done with {h}.",
    "{h} you lost my stuff, charged me twice and hung up on me. Pathetic, shameful, "
    "the worst customer service I have ever had.",
)
_COMPLAINTS = (
    "{h} charged me twice and nobody answers. Really disappointed.",
    "Worst experience with {n} ever. Rude staff and awful service.",
    "{h} still waiting for my refund, this is terrible.",
    "{n} is so slow today, horrible.",
    "{h} your app keeps crashing and support ignores me. So frustrating.",
)
_CHATTER = (
    "Anyone else using {n} this week?",
    "Reading about {n} and their new plans.",
    "{n} announced new prices for next month.",
    "Switching to {n} on Monday, we will see.",
    "{h} what are your opening hours on Sunday?",
    "{h} is there a way to change the address on my account?",
)
_PRAISE = (
    "Thank you {h}, the team was lovely and fixed it in minutes!",
    "Big thanks to {n} for the great help today. Wonderful people!",
    "{h} you made my day, amazing service as always.",
)
_REPLIES = (
    "Same question here {h}.",
    "Did {n} answer you?",
    "Good to know, thanks. {h}",
)
_UNMATCHED = (
    "Lovely weather for a walk by the river today.",
    "Does anyone know a good bakery near the station?",
    "The match last night was something else.",
    "Finally finished that book, what an ending.",
)

_FIRST = ("ana", "ben", "chloe", "dev", "emil", "fatou", "gus", "hana", "ivo", "jun", "kai")
_LAST = ("berg", "costa", "diaz", "eze", "fox", "gray", "holm", "ito", "jones", "kim")


@dataclass(frozen=True)
class Bad:
    """A line ingest must dead-letter: its bytes and a fragment the DLQ reason must carry."""

    kind: str
    raw: bytes
    reason: str


@dataclass
class Feed:
    """The lines to ingest, in order, and what each should become."""

    lines: list[bytes] = field(default_factory=list)
    stored: dict[str, str | None] = field(default_factory=dict)  # id -> brand, in input order
    unmatched: list[str] = field(default_factory=list)
    bad: list[Bad] = field(default_factory=list)
    # Incidents that must page: the large-audience complaints (brand, thread root).
    must_page: set[str] = field(default_factory=set)

    def chunks(self, *, count: int) -> list[list[bytes]]:
        """The lines split into `count` consecutive parts of about the same size."""
        size = -(-len(self.lines) // count)
        return [self.lines[i : i + size] for i in range(0, len(self.lines), size)]


def build_feed(
    *,
    total: int = 3000,
    large_complaints: int = 6,
    unmatched_share: float = 0.05,
    bad_every: int = 0,
    seed: int = 20261101,
    start: datetime | None = None,
) -> Feed:
    """`total` good mentions (stored), plus unmatched and malformed lines among them.

    `bad_every` > 0 puts one malformed line (cycling through every kind) after every
    `bad_every` good ones; 0 still puts one of each kind somewhere in the stream.
    """
    rng = random.Random(seed)
    at = start or datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    feed = Feed()
    roots: dict[str, list[tuple[str, datetime]]] = {b.key: [] for b in _BRANDS}
    complaint_at = {rng.randrange(50, total - 50) for _ in range(large_complaints)}
    while len(complaint_at) < large_complaints:
        complaint_at.add(rng.randrange(50, total - 50))
    bad_kinds = (_truncated, _wrong_type, _oversize, _invalid_utf8, _unknown_field, _not_an_object)
    if bad_every > 0:
        bad_slots = set(range(bad_every, total, bad_every))
    else:
        bad_slots = {total * (i + 1) // (len(bad_kinds) + 1) for i in range(len(bad_kinds))}
    bad_seq = 0
    good = 0
    while good < total:
        at += timedelta(seconds=rng.uniform(0.5, 5.0))
        if rng.random() < unmatched_share:
            mid = f"chaos:u{len(feed.unmatched):05d}"
            text = rng.choice(_UNMATCHED)
            feed.lines.append(_line(mid, text, at, _author(rng, followers=rng.randrange(10, 900))))
            feed.unmatched.append(mid)
            continue
        brand = rng.choice(_BRANDS)
        mid = f"chaos:{good:06d}"
        parent: str | None = None
        if good in complaint_at:
            text = rng.choice(_LARGE_COMPLAINTS)
            author = _author(rng, followers=rng.randrange(150_000, 2_000_000), verified=True)
            feed.must_page.add(incident_id_for(brand=brand.key, thread_root_id=mid))
        else:
            author = _author(rng, followers=rng.randrange(0, 9_000))
            recent = [r for r in roots[brand.key] if at - r[1] > timedelta(minutes=3)]
            if recent and rng.random() < 0.15:
                parent = rng.choice(recent[-20:])[0]
                text = rng.choice(_REPLIES)
            else:
                roll = rng.random()
                pool = _COMPLAINTS if roll < 0.15 else _PRAISE if roll < 0.35 else _CHATTER
                text = rng.choice(pool)
                roots[brand.key].append((mid, at))
        text = text.format(n=brand.name, h=brand.handle)
        feed.lines.append(_line(mid, text, at, author, parent=parent))
        feed.stored[mid] = brand.key
        good += 1
        if good in bad_slots:
            bad = bad_kinds[bad_seq % len(bad_kinds)](f"chaos:bad{bad_seq:05d}", at)
            feed.lines.append(bad.raw)
            feed.bad.append(bad)
            bad_seq += 1
    return feed


def _author(rng: random.Random, *, followers: int, verified: bool = False) -> dict[str, object]:
    handle = f"{rng.choice(_FIRST)}{rng.choice(_LAST)}{rng.randrange(100, 999)}"
    return {
        "id": f"u-{handle}",
        "handle": f"@{handle}",
        "display_name": handle.title(),
        "followers": followers,
        "following": rng.randrange(0, 800),
        "verified": verified,
        "created_at": "2019-05-01T00:00:00+00:00",
    }


def _line(
    mid: str,
    text: str,
    at: datetime,
    author: Mapping[str, object],
    *,
    parent: str | None = None,
    **extra: object,
) -> bytes:
    record: dict[str, object] = {
        "id": mid,
        "platform": "mastodon",
        "text": text,
        "lang": "en",
        "created_at": at.isoformat(),
        "author": dict(author),
        **extra,
    }
    if parent is not None:
        record["thread"] = {"root_id": parent, "parent_id": parent}
    return json.dumps(record).encode()


def _good_fields(mid: str, at: datetime) -> dict[str, object]:
    return {"id": mid, "platform": "mastodon", "created_at": at.isoformat()}


def _truncated(mid: str, at: datetime) -> Bad:
    raw = json.dumps({**_good_fields(mid, at), "text": "Northwind Air lost my bag"}).encode()
    return Bad("malformed JSON", raw[:-12], "Invalid JSON")


def _wrong_type(mid: str, at: datetime) -> Bad:
    fields = {**_good_fields(mid, at), "text": "@northwindair hello"}
    raw = json.dumps({**fields, "author": {"followers": "lots"}}).encode()
    return Bad("wrong type", raw, "author.followers")


def _oversize(mid: str, at: datetime) -> Bad:
    text = "Harbor Mutual " + "x" * 10_100
    return Bad(
        "oversized text", json.dumps({**_good_fields(mid, at), "text": text}).encode(), "text"
    )


def _invalid_utf8(mid: str, at: datetime) -> Bad:
    raw = json.dumps({**_good_fields(mid, at), "text": "Quillby Parcels PLACEHOLDER"}).encode()
    return Bad("invalid UTF-8", raw.replace(b"PLACEHOLDER", b"\xff\xfe broken"), "invalid UTF-8")


def _unknown_field(mid: str, at: datetime) -> Bad:
    fields = {**_good_fields(mid, at), "text": "@bluepeaknet hello", "mood": "grumpy"}
    return Bad("unknown field", json.dumps(fields).encode(), "mood")


def _not_an_object(mid: str, at: datetime) -> Bad:
    return Bad(
        "not an object", json.dumps([mid, "@quillbyparcels"]).encode(), "Input should be an object"
    )


def bad_raw_records() -> Iterator[tuple[str, bytes]]:
    """(kind, bytes) produced straight onto the raw topic, past ingest: the scorer's DLQ."""
    yield "raw: malformed JSON", b'{"id": "chaos:raw-1", "text": "oops'
    yield "raw: invalid UTF-8", b'{"id": "chaos:raw-2", "text": "\xc3\x28"}'
    yield "raw: wrong type", b'{"id": "chaos:raw-3", "text": 42}'
    yield "raw: unknown field", b'{"id": "chaos:raw-4", "text": "hi", "colour": "red"}'


def bad_scored_records() -> Iterator[tuple[str, bytes]]:
    """(kind, bytes) produced straight onto the scored topic: alerts' and the projector's DLQ."""
    yield "scored: no scores", b'{"id": "chaos:scored-1", "text": "@northwindair hi"}'
    yield "scored: malformed JSON", b'{"id": "chaos:scored-2", "scores": {'
