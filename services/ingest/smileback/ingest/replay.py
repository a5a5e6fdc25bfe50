"""Replay JSON lines of mentions onto the raw topic: parse, match, de-duplicate, publish."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

from smileback.common.bus import Bus
from smileback.common.clock import Clock
from smileback.common.dlq import send_to_dlq
from smileback.common.errors import SchemaError
from smileback.common.events import Mention, encode
from smileback.common.metrics import RECORDS
from smileback.common.topics import Topics
from smileback.ingest.dedupe import SeenIds
from smileback.ingest.normalise import parse_mention, source_id_of
from smileback.ingest.rules import BrandMatcher

__all__ = ["STAGE", "IngestReport", "Pace", "replay"]

STAGE = "ingest"

Pace = Callable[[Mention], None]


@dataclass(frozen=True)
class IngestReport:
    """What happened to the non-blank lines of one replay."""

    read: int
    published: int
    duplicates: int
    unmatched: int
    dlq: int

    def to_json(self) -> str:
        """The report as one line of JSON."""
        return json.dumps(asdict(self))


def replay(
    *,
    lines: Iterable[bytes],
    bus: Bus,
    topics: Topics,
    matcher: BrandMatcher,
    seen: SeenIds,
    clock: Clock,
    pace: Pace | None = None,
) -> IngestReport:
    """Publish each good line to topics.raw keyed by thread root; bad lines go to the DLQ."""
    outcomes: Counter[str] = Counter()
    for line in lines:
        raw = line.rstrip(b"\r\n")
        if not raw.strip():
            continue
        outcome = _ingest_one(
            raw=raw, bus=bus, topics=topics, matcher=matcher, seen=seen, clock=clock, pace=pace
        )
        outcomes[outcome] += 1
        RECORDS.labels(stage=STAGE, outcome=outcome).inc()
    return IngestReport(
        read=sum(outcomes.values()),
        published=outcomes["published"],
        duplicates=outcomes["duplicate"],
        unmatched=outcomes["unmatched"],
        dlq=outcomes["dlq"],
    )


def _ingest_one(
    *,
    raw: bytes,
    bus: Bus,
    topics: Topics,
    matcher: BrandMatcher,
    seen: SeenIds,
    clock: Clock,
    pace: Pace | None,
) -> str:
    try:
        mention = parse_mention(raw=raw, now=clock())
    except SchemaError as exc:
        send_to_dlq(
            bus=bus,
            topics=topics,
            clock=clock,
            stage=STAGE,
            error=str(exc),
            raw=raw,
            source_id=source_id_of(raw),
        )
        return "dlq"
    brand = matcher.match(mention=mention)
    # A deletion carries no brand terms but must still reach every store that kept the post.
    if brand is None and matcher.brands and not mention.deleted:
        return "unmatched"
    # The post's id was seen when it was published; its deletion is de-duplicated on its own.
    if seen.seen_before(f"{mention.id}\x00deleted" if mention.deleted else mention.id):
        return "duplicate"
    mention = mention.model_copy(update={"brand": brand})
    if pace is not None:
        pace(mention)
    bus.publish(topics.raw, key=mention.root_id, value=encode(mention))
    return "published"
