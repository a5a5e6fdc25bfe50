"""The demo scenario: a deterministic three hours of mentions of the fictional "Acme Coffee".

It holds ordinary chatter and questions; kind hellos and praise for @acmecoffee; one
complaint from an author with about 250,000 followers that draws a burst of negative
replies and quotes within minutes; a few complaints from small accounts; a post that is
later deleted (a tombstone line); and two bad lines for the DLQ. Only that one author
has a large audience, so exactly one large-audience complaint exists at any size.

Write the bundled file with `python -m smileback.cli.demo.scenario --write-bundled`.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

from smileback.cli.demo import scenario_text as words
from smileback.cli.demo.scenario_facts import ScenarioFacts, scenario_facts
from smileback.cli.demo.scenario_plan import B32, Planner, Post
from smileback.common.events import Mention, MentionMetrics, Thread

__all__ = [
    "BRAND",
    "BRAND_TERMS",
    "BUNDLED_SEED",
    "BUNDLED_START",
    "BUNDLED_TOTAL",
    "MIN_TOTAL",
    "ScenarioFacts",
    "bundled_scenario_path",
    "generate",
    "main",
    "scenario_facts",
    "shift_to_end",
    "write_bundled",
]

BRAND = "acme"
# The terms that select the scenario's mentions, for SMILEBACK_BRANDS.
BRAND_TERMS: Mapping[str, tuple[str, ...]] = {BRAND: ("acme coffee", "@acmecoffee", "#acmecoffee")}
BUNDLED_START = datetime(2026, 3, 14, 8, 0, tzinfo=UTC)
BUNDLED_SEED = 7
BUNDLED_TOTAL = 300
MIN_TOTAL = 80


def generate(
    *, start: datetime, seed: int = BUNDLED_SEED, total: int = BUNDLED_TOTAL, prefix: str = "demo"
) -> list[bytes]:
    """The scenario's lines in time order: `total` valid mentions and two bad lines."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if total < MIN_TOTAL:
        raise ValueError(f"total must be at least {MIN_TOTAL}, got {total}")
    rng = random.Random(seed)
    posts = Planner(rng=rng, start=start.astimezone(UTC)).plan(total=total)
    posts.sort(key=lambda post: post.at)  # stable: a parent planned first stays first
    number = 0
    for post in posts:
        if post.deletes is not None:
            post.id = post.deletes.id
        else:
            number += 1
            post.id = f"{prefix}:{number:06d}"
    return [_render(post, number=i) for i, post in enumerate(posts)]


def shift_to_end(lines: Sequence[bytes], *, end: datetime) -> list[bytes]:
    """The lines moved in time, spacing kept, so the latest post is at `end`: the demo tells
    its story in the present. Posts and their authors' accounts move alike; a line that is
    not a JSON object (a bad line) stays as it is."""
    if end.tzinfo is None:
        raise ValueError("end must be timezone-aware")
    objects = [_json_object(line) for line in lines]
    times = [
        datetime.fromisoformat(at)
        for obj in objects
        if obj is not None and isinstance(at := obj.get("created_at"), str)
    ]
    if not times:
        return list(lines)
    by = end - max(times)
    return [
        line if obj is None else _dumps(_shifted(obj, by=by))
        for line, obj in zip(lines, objects, strict=True)
    ]


def _dumps(obj: dict[str, object]) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def _json_object(line: bytes) -> dict[str, object] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _shifted(obj: dict[str, object], *, by: timedelta) -> dict[str, object]:
    out = dict(obj)
    if isinstance(at := out.get("created_at"), str):
        out["created_at"] = (datetime.fromisoformat(at) + by).isoformat()
    if isinstance(author := out.get("author"), dict):
        out["author"] = _shifted(author, by=by)
    return out


def bundled_scenario_path() -> Path:
    """Where the bundled scenario file lives inside the installed package."""
    return Path(str(resources.files("smileback.cli.demo") / "data" / "demo_scenario.jsonl"))


def write_bundled() -> Path:
    """Regenerate the bundled scenario file from the fixed start, seed and size."""
    path = bundled_scenario_path()
    lines = generate(start=BUNDLED_START, seed=BUNDLED_SEED, total=BUNDLED_TOTAL)
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def main(argv: Sequence[str] | None = None) -> None:
    """Print a scenario as JSON lines on stdout, or rewrite the bundled file."""
    parser = argparse.ArgumentParser(prog="python -m smileback.cli.demo.scenario")
    parser.add_argument("--start", type=datetime.fromisoformat, default=BUNDLED_START)
    parser.add_argument("--seed", type=int, default=BUNDLED_SEED)
    parser.add_argument("--total", type=int, default=BUNDLED_TOTAL)
    parser.add_argument("--prefix", default="demo")
    parser.add_argument("--write-bundled", action="store_true")
    args = parser.parse_args(argv)
    if args.write_bundled:
        print(write_bundled(), file=sys.stderr)
        return
    start = args.start if args.start.tzinfo else args.start.replace(tzinfo=UTC)
    lines = generate(start=start, seed=args.seed, total=args.total, prefix=args.prefix)
    sys.stdout.buffer.write(b"".join(line + b"\n" for line in lines))


def _render(post: Post, *, number: int) -> bytes:
    who = post.who
    if post.kind == "malformed":
        return (
            f'{{"id":"{post.id}","platform":"{who.platform}",'
            f'"created_at":"{post.at.isoformat()}","text":"{words.TRUNCATED_TEXT}'
        ).encode()
    if post.kind == "oversize":
        fields = {"id": post.id, "platform": who.platform, "created_at": post.at.isoformat()}
        return json.dumps({**fields, "text": words.OVERSIZE_TEXT}).encode()
    target = post.deletes or post  # a tombstone names the deleted post's thread
    parent = target.parent
    thread = Thread(root_id=target.root.id, parent_id=parent.id) if parent else Thread()
    mention = Mention(
        id=post.id,
        platform=who.platform,
        brand=BRAND,
        text=post.text,
        url=None if post.deletes else _url(post, number=number),
        lang=None if post.deletes else "en",
        created_at=post.at,
        author=who.author,
        thread=thread,
        metrics=MentionMetrics(
            replies=sum(not child.quote for child in post.children),
            quotes=sum(child.quote for child in post.children),
            likes=post.likes,
            reposts=post.reposts,
        ),
        deleted=post.deletes is not None,
    )
    return mention.model_dump_json(exclude_defaults=True).encode()


def _url(post: Post, *, number: int) -> str:
    handle = post.who.author.handle
    if post.who.platform == "mastodon":
        # Mastodon ids are time-ordered snowflakes: milliseconds shifted 16 bits.
        status = (int(post.at.timestamp() * 1000) << 16) | number
        return f"https://mastodon.social/{handle}/{status}"
    # Bluesky record keys are base32 timestamps (microseconds, then a clock id).
    tid = (int(post.at.timestamp() * 1_000_000) << 10) | (number % 1024)
    rkey = "".join(B32[(tid >> (5 * i)) & 31] for i in reversed(range(13)))
    return f"https://bsky.app/profile/{handle[1:]}/post/{rkey}"


if __name__ == "__main__":
    main()
