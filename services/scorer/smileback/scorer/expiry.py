"""Idle keys: which table keys have been idle past their horizon, so their state can go.

Each state core forgets what lies beyond its horizon, but a key nobody mentions again keeps
its last state forever; over a long run those keys are nearly all of a table. A key idle
for longer than its table's horizon holds nothing a reading still needs, and is deleted:

    threads  HORIZON_WINDOWS windows (30 minutes) after the thread was last touched: every
             reply it counted is then out of every window; what goes with it is the root's
             reach (a reply to a forgotten root is read with its own reach) and the ids
             that keep a redelivered reply from counting twice
    brands   the baseline's whole span, NOW_BUCKETS + HISTORY_BUCKETS buckets (13 hours):
             by then every bucket is out of the span; a brand mentioned again starts over
             as a new brand
    authors  the same 13 hours: `author_mentions` counts an author's mentions of a brand
             since they last went quiet for that long

The clock is event time, per partition: the newest mention time the partition's states
record (a thread's newest reply, an author's newest mention, a brand's newest negative
bucket), never the wall clock. Replaying old mentions therefore expires what those
mentions leave idle, not every key at once, and a partition with no new mentions keeps its
keys (so does one that sees only thread roots, which record no time, until a reply
comes). A key counts as active at its partition's clock whenever it is read or written; a
key restored from a changelog counts as active at the first clock its partition reaches
after the restore (until then the partition has none), so it goes one horizon after that
clock unless it is mentioned again.

`IdleKeys` is the in-memory index: for each partition, each key's last activity, plus a
heap ordered by it, so finding the expired keys costs a heap pop each and never a scan of
the table. It holds one entry per live key (about 200 bytes besides the key, against the
kilobytes of a thread's state) and the heap is rebuilt when stale entries outnumber live
ones, so it stays proportional to the table.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Generic, TypeVar

from smileback.scorer.authors import AuthorState
from smileback.scorer.baseline import BUCKET_S, HISTORY_BUCKETS, NOW_BUCKETS, BrandState
from smileback.scorer.threads import HORIZON_WINDOWS, WINDOW, ThreadState

__all__ = [
    "AUTHORS",
    "AUTHOR_HORIZON",
    "BRANDS",
    "BRAND_HORIZON",
    "THREADS",
    "THREAD_HORIZON",
    "Expiry",
    "IdleKeys",
    "author_time",
    "brand_time",
    "thread_time",
]

THREAD_HORIZON = HORIZON_WINDOWS * WINDOW
BRAND_HORIZON = timedelta(seconds=(NOW_BUCKETS + HISTORY_BUCKETS) * BUCKET_S)
AUTHOR_HORIZON = BRAND_HORIZON

S = TypeVar("S")

_SLACK = 64  # stale heap entries tolerated before a rebuild, besides one per live key


def thread_time(state: ThreadState) -> float | None:
    """The newest mention time a thread's state records: its newest reply (none for a root)."""
    return state.newest


def author_time(state: AuthorState) -> float | None:
    """The newest mention time an author's state records."""
    return state.last_seen


def brand_time(state: BrandState) -> float | None:
    """The newest mention time a brand's state records: the start of its newest negative
    bucket (none before its first negative)."""
    return max(state.buckets) * BUCKET_S if state.buckets else None


@dataclass(frozen=True)
class Expiry(Generic[S]):
    """How one table's keys expire: idle for `horizon`, by the event time `time_of` its
    states record."""

    horizon: timedelta
    time_of: Callable[[S], float | None]


THREADS: Expiry[ThreadState] = Expiry(THREAD_HORIZON, thread_time)
BRANDS: Expiry[BrandState] = Expiry(BRAND_HORIZON, brand_time)
AUTHORS: Expiry[AuthorState] = Expiry(AUTHOR_HORIZON, author_time)


@dataclass
class _Partition:
    clock: float | None = None
    last: dict[str, float | None] = field(default_factory=dict)  # None: before any clock
    heap: list[tuple[float, str]] = field(default_factory=list)


class IdleKeys:
    """Each key's last activity per partition, in event time; the keys idle past `horizon`."""

    def __init__(self, *, horizon: timedelta) -> None:
        self._horizon_s = horizon.total_seconds()
        self._partitions: dict[int, _Partition] = {}

    def __len__(self) -> int:
        return sum(len(p.last) for p in self._partitions.values())

    def clock(self, partition: int) -> float | None:
        """The newest event time seen on `partition` (epoch seconds), or None."""
        found = self._partitions.get(partition)
        return found.clock if found is not None else None

    def advance(self, partition: int, at: float) -> None:
        """`partition` has seen a mention at `at`; its clock never goes back."""
        part = self._partitions.setdefault(partition, _Partition())
        if part.clock is not None and at <= part.clock:
            return
        if part.clock is None:  # once: the keys touched while there was no clock start now
            for key in [k for k, t in part.last.items() if t is None]:
                self._mark(part, key, at)
        part.clock = at

    def touch(self, partition: int, key: str) -> None:
        """`key` of `partition` was read or written: active as of the partition's clock."""
        part = self._partitions.setdefault(partition, _Partition())
        if part.clock is None:
            part.last[key] = None
        elif part.last.get(key) != part.clock:
            self._mark(part, key, part.clock)

    def forget(self, partition: int, key: str) -> None:
        """`key` is gone from `partition` (its stale heap entries are skipped later)."""
        part = self._partitions.get(partition)
        if part is not None:
            part.last.pop(key, None)

    def expired(self, partition: int, *, limit: int) -> list[str]:
        """Up to `limit` keys of `partition` idle for longer than the horizon, oldest first;
        they are forgotten here and are the caller's to delete."""
        part = self._partitions.get(partition)
        if part is None or part.clock is None:
            return []
        cutoff = part.clock - self._horizon_s
        out: list[str] = []
        while part.heap and len(out) < limit and part.heap[0][0] < cutoff:
            at, key = heapq.heappop(part.heap)
            if part.last.get(key) == at:
                del part.last[key]
                out.append(key)
        return out

    def _mark(self, part: _Partition, key: str, at: float) -> None:
        part.last[key] = at
        heapq.heappush(part.heap, (at, key))
        if len(part.heap) > 2 * len(part.last) + _SLACK:
            part.heap = [(t, k) for k, t in part.last.items() if t is not None]
            heapq.heapify(part.heap)
