"""Per-brand baseline for surge detection: negative volume now against the brand's own past.

Negative mentions are counted in 5-minute buckets by their own `created_at`. At a mention's
time t, with b the bucket holding t:

    negative now      = negatives in the 12 buckets ending at b (the last hour)
    negative baseline = negatives in the 144 buckets before those (the prior twelve hours)
                        / the hours of that span the brand has history for (at least 1),
                        i.e. an average per hour that a new brand does not underestimate

A brand spread over shards (shards.py) has one state per shard; a reading sums them
(`merge`), bucket by bucket, from the earliest `since`.

The scorer publishes both and no ratio: the alerts service's brand-surge rule
(`smileback.alerts.policy.surge`) holds the one surge formula, over this baseline.

State: at most 156 bucket counts, the first bucket the brand was seen in, and the digests
of its last SEEN_IDS counted negative ids so a redelivered mention never counts twice.
Mentions older than 13 hours before the brand's newest bucket are too late to count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from smileback.scorer.state import digest, remember

__all__ = [
    "BUCKET_S",
    "HISTORY_BUCKETS",
    "NOW_BUCKETS",
    "SEEN_IDS",
    "BrandReading",
    "BrandState",
    "merge",
    "observe",
    "read",
]

BUCKET_S = 300
NOW_BUCKETS = 12  # one hour
HISTORY_BUCKETS = 144  # twelve hours
SEEN_IDS = 256
_BUCKETS_PER_HOUR = 3600 // BUCKET_S


class BrandState(BaseModel):
    """One brand's negative volume by bucket; JSON-serialisable for a Faust table."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    since: int  # the earliest bucket the brand was seen in
    buckets: dict[int, int] = {}  # bucket (epoch // BUCKET_S) -> negative mentions
    seen: tuple[str, ...] = ()


@dataclass(frozen=True)
class BrandReading:
    """The brand's volume as seen at one mention's time."""

    negative_now: int
    negative_baseline: float  # per hour
    duplicate: bool = False


def observe(
    state: BrandState | None, *, mention_id: str, at: datetime, negative: bool
) -> tuple[BrandState, BrandReading]:
    """Count one mention of the brand (only negatives add volume); the reading at its time."""
    bucket = int(at.timestamp() // BUCKET_S)
    if state is None:
        state = BrandState(since=bucket)
    elif bucket < state.since:
        state = state.model_copy(update={"since": bucket})
    if not negative:
        return state, read(state, at=at)
    key = digest(mention_id)
    if key in state.seen:
        return state, replace(read(state, at=at), duplicate=True)
    buckets = dict(state.buckets)
    buckets[bucket] = buckets.get(bucket, 0) + 1
    if len(buckets) > len(state.buckets):  # only a new bucket can push an old one out
        buckets = _in_span(buckets)
    # Built from values this function made itself, so validation would only cost time.
    state = BrandState.model_construct(
        since=state.since, buckets=buckets, seen=remember(state.seen, key, limit=SEEN_IDS)
    )
    return state, read(state, at=at)


def read(state: BrandState | None, *, at: datetime) -> BrandReading:
    """The brand's negative volume now and its hourly baseline at `at`."""
    if state is None:
        return BrandReading(negative_now=0, negative_baseline=0.0)
    bucket = int(at.timestamp() // BUCKET_S)
    start = bucket - NOW_BUCKETS + 1  # first bucket of the last hour
    history = start - HISTORY_BUCKETS
    now = before = 0
    for b, n in state.buckets.items():
        if start <= b <= bucket:
            now += n
        elif history <= b < start:
            before += n
    hours = min(HISTORY_BUCKETS, max(0, start - max(history, state.since))) / _BUCKETS_PER_HOUR
    return BrandReading(negative_now=now, negative_baseline=before / max(1.0, hours))


def merge(states: Sequence[BrandState]) -> BrandState | None:
    """One brand's volume from its shards' states, to be read (`read`), not observed into:
    bucket counts summed and kept to the span of the newest, as one state that counted
    every mention would keep them (a shard that has not seen the newest bucket still holds
    the ones it pushed out), the earliest `since`, no seen ids (each shard keeps its own)."""
    if not states:
        return None
    if len(states) == 1:
        return states[0]
    buckets: dict[int, int] = {}
    for state in states:
        for bucket, count in state.buckets.items():
            buckets[bucket] = buckets.get(bucket, 0) + count
    return BrandState.model_construct(
        since=min(state.since for state in states), buckets=_in_span(buckets), seen=()
    )


def _in_span(buckets: dict[int, int]) -> dict[int, int]:
    """The buckets within the baseline's span of the newest one."""
    oldest = max(buckets, default=0) - NOW_BUCKETS - HISTORY_BUCKETS + 1
    return {b: n for b, n in buckets.items() if b >= oldest}
