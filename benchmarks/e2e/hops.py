"""Where a probe's time to page goes: the moments it reached each topic, from the records'
CreateTime (stamped by the producing service when it hands the record to its producer), between
the harness writing it into ingest and its page arriving at the receiver.

A record's wait in its producer's buffer and the next service's fetch count in the hop after
the stamp; every clock is this machine's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from kafka import KafkaConsumer, TopicPartition

from benchmarks.e2e.stats import Spread, spread

__all__ = ["HOPS", "MARKS", "Trail", "breakdown", "by_key", "first_seen"]

# The moments of a probe, in the order it passes them.
MARKS = ("written", "raw", "scored", "incident", "page")
# Each hop: its name and the marks it runs between.
HOPS: tuple[tuple[str, str, str], ...] = (
    ("ingest→raw", "written", "raw"),
    # Both scorer steps: the harness runs one scorer worker, which owns every by-brand
    # partition and so hands each mention to its brand step in the same batch.
    ("raw→scored (scorer)", "raw", "scored"),
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
