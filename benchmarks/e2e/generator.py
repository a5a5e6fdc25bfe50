"""Seeded, deterministic mentions for the end-to-end benchmark: realistic traffic of a few brands.

Threads: most mentions start a thread of their own; replies go mostly to a few hot roots (a
busy conversation draws hundreds of replies) and otherwise to a recent cold root. Authors come
from a fixed pool whose followers follow a Pareto law from 10 to 2,000,000 (median ~40, about
1 % above 100,000). Kinds: complaints, praise, questions, neutral chatter, and ~5 % that name
no brand (ingest drops them as unmatched). A hot root that is a complaint draws a pile-on.

The texts are the demo scenario's (`smileback.cli.demo.scenario_text`), written for the one
brand "Acme Coffee" and rewritten here for each brand; the shipped model reads their
complaints as negative. `large_complaint` builds the probes the time-to-page measurement
injects: a new thread, a verified author with 250,000 to 2,000,000 followers.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from smileback.cli.demo import scenario_text as words
from smileback.common.events import Author, Mention, Thread, incident_id_for

__all__ = [
    "BRANDS",
    "Brand",
    "Generated",
    "Kind",
    "Probe",
    "brand_terms",
    "generate",
    "large_complaint",
]

MIN_FOLLOWERS = 10
MAX_FOLLOWERS = 2_000_000
# Pareto tail index of the followers: P(followers > x) = (10 / x) ** alpha.
_PARETO_ALPHA = 0.5
_REPLY_SHARE = 0.35  # of the branded mentions
_HOT_SHARE = 0.7  # of the replies, those that go to a hot root
_HOT_ROOT_SHARE = 0.01  # of the new roots, those that become hot
_HOT_ROOTS = 8  # hot roots open at once; a new one retires the oldest
_RECENT_ROOTS = 2000  # cold roots a reply may still find
_UNBRANDED_SHARE = 0.05
_PILE_ON_SHARE = 0.6  # of the replies to a complaint, those that complain too
# Roots: complaint, praise, question; the rest is neutral chatter.
_ROOT_MIX = ((0.15, "complaint"), (0.35, "praise"), (0.5, "question"))
_SOURCE_BRAND = ("Acme Coffee", "@acmecoffee", "#acmecoffee")


class Kind(StrEnum):
    """What a generated mention says."""

    COMPLAINT = "complaint"
    PRAISE = "praise"
    QUESTION = "question"
    NEUTRAL = "neutral"
    UNBRANDED = "unbranded"


@dataclass(frozen=True)
class Brand:
    """A fictional brand: its key, name, @handle, #tag and share of the traffic."""

    key: str
    name: str
    handle: str
    tag: str
    weight: float


# One busy brand and two quieter ones.
BRANDS: tuple[Brand, ...] = (
    Brand("acme", "Acme Coffee", "@acmecoffee", "#acmecoffee", 0.6),
    Brand("bluebird", "Bluebird Tea", "@bluebirdtea", "#bluebirdtea", 0.3),
    Brand("cedar", "Cedar Roasters", "@cedarroasters", "#cedarroasters", 0.1),
)


def brand_terms(brands: Sequence[Brand] = BRANDS) -> dict[str, list[str]]:
    """SMILEBACK_BRANDS for the services: brand -> match terms."""
    return {b.key: [b.name.lower(), b.handle, b.tag] for b in brands}


@dataclass(frozen=True)
class Generated:
    """One mention as a JSON line, with what the benchmark needs to know about it."""

    id: str
    brand: str | None  # None: no brand term, ingest drops it
    kind: Kind
    root_id: str
    line: bytes


@dataclass(frozen=True)
class Probe:
    """A large-audience complaint injected to time a page: the incident it must open."""

    id: str
    incident_id: str
    line: bytes


@dataclass
class _Root:
    id: str
    brand: Brand
    kind: Kind


def _rebrand(text: str, brand: Brand) -> str:
    name, handle, tag = _SOURCE_BRAND
    return text.replace(tag, brand.tag).replace(handle, brand.handle).replace(name, brand.name)


def _unbrand(text: str) -> str:
    name, handle, tag = _SOURCE_BRAND
    return text.replace(tag, "#coffee").replace(handle, "the cafe").replace(name, "the cafe")


_TEXTS: Mapping[Kind, tuple[str, ...]] = {
    Kind.COMPLAINT: words.COMPLAINTS,
    Kind.PRAISE: words.PRAISE,
    Kind.QUESTION: words.QUESTIONS,
    Kind.NEUTRAL: words.CHATTER,
    Kind.UNBRANDED: words.CHATTER,
}


def followers(rng: random.Random) -> int:
    """A follower count from the Pareto law, 10 to 2,000,000."""
    drawn = MIN_FOLLOWERS / (1.0 - rng.random()) ** (1.0 / _PARETO_ALPHA)
    return min(MAX_FOLLOWERS, int(drawn))


def _authors(rng: random.Random, count: int) -> list[Author]:
    pool = []
    for i in range(count):
        handle = f"{rng.choice(words.FIRST_NAMES)}{rng.choice(words.LAST_NAMES)}{i}"
        count_ = followers(rng)
        pool.append(
            Author(
                id=f"bench-author-{i}",
                handle=f"@{handle}",
                display_name=handle.title(),
                followers=count_,
                following=rng.randrange(0, 900),
                verified=count_ >= 100_000 and rng.random() < 0.5,
            )
        )
    return pool


def generate(
    *, total: int, seed: int, start: datetime, prefix: str = "bench", spacing_s: float = 0.01
) -> Iterator[Generated]:
    """`total` mentions in order, the same for the same arguments; `created_at` from `start`,
    `spacing_s` apart. Ids are `<prefix>:<n>`, so two runs with different prefixes never
    collide."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if total < 0:
        raise ValueError(f"total must be ≥ 0, got {total}")
    rng = random.Random(seed)
    authors = _authors(rng, max(50, min(20_000, total // 5)))
    brands = list(BRANDS)
    weights = [b.weight for b in brands]
    hot: deque[_Root] = deque(maxlen=_HOT_ROOTS)
    recent: deque[_Root] = deque(maxlen=_RECENT_ROOTS)
    for n in range(total):
        mid = f"{prefix}:{n}"
        at = start + timedelta(seconds=n * spacing_s)
        author = rng.choice(authors)
        if rng.random() < _UNBRANDED_SHARE:
            text = _unbrand(rng.choice(_TEXTS[Kind.UNBRANDED]))
            yield _mention(mid, None, Kind.UNBRANDED, text, at, author, root=None)
            continue
        if (hot or recent) and rng.random() < _REPLY_SHARE:
            pool = hot if hot and (not recent or rng.random() < _HOT_SHARE) else recent
            root = rng.choice(pool)
            kind = _reply_kind(rng, root.kind)
            text = _reply_text(rng, kind, root.brand)
            yield _mention(mid, root.brand, kind, text, at, author, root=root.id)
            continue
        brand = rng.choices(brands, weights)[0]
        kind = _root_kind(rng)
        root = _Root(mid, brand, kind)
        (hot if rng.random() < _HOT_ROOT_SHARE else recent).append(root)
        text = _rebrand(rng.choice(_TEXTS[kind]), brand)
        yield _mention(mid, brand, kind, text, at, author, root=None)


def _root_kind(rng: random.Random) -> Kind:
    roll = rng.random()
    for below, kind in _ROOT_MIX:
        if roll < below:
            return Kind(kind)
    return Kind.NEUTRAL


def _reply_kind(rng: random.Random, root: Kind) -> Kind:
    if root is Kind.COMPLAINT and rng.random() < _PILE_ON_SHARE:
        return Kind.COMPLAINT
    return _root_kind(rng)


def _reply_text(rng: random.Random, kind: Kind, brand: Brand) -> str:
    if kind is Kind.COMPLAINT:
        text = rng.choice(words.PILE_ON + words.COMPLAINTS)
    elif kind is Kind.NEUTRAL:
        text = f"{brand.handle} {rng.choice(words.CHATTER_REPLIES)}"
    else:
        text = rng.choice(_TEXTS[kind])
    return _rebrand(text, brand)


def _mention(
    mid: str,
    brand: Brand | None,
    kind: Kind,
    text: str,
    at: datetime,
    author: Author,
    *,
    root: str | None,
) -> Generated:
    thread = Thread(root_id=root, parent_id=root) if root else Thread()
    mention = Mention(
        id=mid, platform="mastodon", text=text, lang="en", created_at=at, author=author,
        thread=thread,
    )  # fmt: skip
    line = mention.model_dump_json(exclude_defaults=True).encode()
    return Generated(
        id=mid, brand=brand.key if brand else None, kind=kind, root_id=root or mid, line=line
    )


def large_complaint(*, brand: Brand, number: int, at: datetime, prefix: str = "probe") -> Probe:
    """A large-audience complaint in a thread of its own: it must page (one incident)."""
    rng = random.Random(number)
    mid = f"{prefix}:{number}"
    handle = f"{rng.choice(words.FIRST_NAMES)}{rng.choice(words.LAST_NAMES)}probe{number}"
    author = Author(
        id=f"bench-probe-{number}",
        handle=f"@{handle}",
        display_name=handle.title(),
        followers=rng.randrange(250_000, MAX_FOLLOWERS),
        verified=True,
    )
    text = _rebrand(words.LARGE_COMPLAINT, brand)
    mention = Mention(
        id=mid, platform="mastodon", text=text, lang="en", created_at=at, author=author
    )
    return Probe(
        id=mid,
        incident_id=incident_id_for(brand=brand.key, thread_root_id=mid),
        line=mention.model_dump_json(exclude_defaults=True).encode(),
    )
