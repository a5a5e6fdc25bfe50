"""Where a probe's time to page goes: the moments it reached each topic, from the records'
CreateTime (stamped by the producing service when it hands the record to its producer), between
the harness writing it into ingest and its page arriving at the receiver.

A record's wait in its producer's buffer and the next service's fetch count in the hop after
the stamp; every clock is this machine's.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from kafka import KafkaConsumer, TopicPartition

from benchmarks.e2e.stats import Spread, spread

__all__ = ["HOPS", "MARKS", "Trail", "breakdown", "by_key", "by_staged_id", "first_seen"]

# The moments of a probe, in the order it passes them.
MARKS = ("written", "raw", "by_brand", "scored", "incident", "page")
# Each hop: its name and the marks it runs between.
HOPS: tuple[tuple[str, str, str], ...] = (
    ("ingest→raw", "written", "raw"),
    ("raw→by-brand (scorer thread step)", "raw", "by_brand"),
    ("by-brand→scored (scorer brand step)", "by_brand", "scored"),
    ("scored→incident (alerts)", "scored", "incident"),
    ("incident→page (notifier)", "incident", "page"),
)

_READ_S = 120.0  # a level's records read in seconds; past this, what was read is what there is
Match = Callable[[bytes | None, bytes], list[str]]  # (key, value) -> the probe ids it holds


@dataclass(frozen=True)
class Trail:
    """One probe: epoch seconds at each mark it was seen at (a missing mark is absent)."""

    probe_id: str
    at: Mapping[str, float]


def breakdown(trails: Sequence[Trail]) -> dict[str, Spread | None]:
    """Per hop, in order, the spread of its durations over the probes seen at both its ends."""
    return {
        name: spread([t.at[end] - t.at[start] for t in trails if start in t.at and end in t.at])
        for name, start, end in HOPS
    }


def by_key(keys: Mapping[str, str]) -> Match:
    """Records keyed by one of `keys` (record key -> probe id)."""
    encoded = {key.encode(): probe for key, probe in keys.items()}
    return lambda key, value: [encoded[key]] if key is not None and key in encoded else []


def by_staged_id(ids: Sequence[str], *, marker: str) -> Match:
    """The scorer's by-brand records (keyed by brand): the `scored.id` of each staged mention
    in one, among `ids`; only values containing `marker` (the probes' id prefix) are parsed.
    A record is a batch (`{"staged": [...]}`) or, as an earlier scorer wrote, one mention."""
    wanted, needle = set(ids), marker.encode()

    def match(key: bytes | None, value: bytes) -> list[str]:
        if needle not in value:
            return []
        try:
            parsed = json.loads(value)
            staged = parsed.get("staged", [parsed])
            found = [item["scored"]["id"] for item in staged]
        except (ValueError, KeyError, TypeError, AttributeError):
            return []
        return [mention_id for mention_id in found if mention_id in wanted]

    return match


def first_seen(*, bootstrap: str, topic: str, since_s: float, match: Match) -> dict[str, float]:
    """Read `topic` once, from the first record at or after `since_s` (epoch seconds) up to its
    current end; for each probe id a record matched, its earliest CreateTime (epoch seconds)."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, client_id="bench-e2e-hops", enable_auto_commit=False
    )
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        starts = consumer.offsets_for_times({tp: int(since_s * 1000) for tp in partitions})
        ends = consumer.end_offsets(partitions)
        left: dict[TopicPartition, int] = {}
        for tp in partitions:
            start = starts[tp]
            if start is not None and start.offset < ends[tp]:
                consumer.seek(tp, start.offset)
                left[tp] = ends[tp]
        seen: dict[str, float] = {}
        deadline = time.monotonic() + _READ_S
        while left and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=1000, max_records=5000).values():
                for record in records:
                    for probe in match(record.key, record.value):
                        at = record.timestamp / 1000
                        seen[probe] = min(at, seen.get(probe, at))
            left = {tp: end for tp, end in left.items() if consumer.position(tp) < end}
        return seen
    finally:
        consumer.close()
