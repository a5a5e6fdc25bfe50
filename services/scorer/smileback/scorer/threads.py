"""Per-thread state: velocity and acceleration of negative replies, the inputs of pile-on risk.

A thread is everything under one root id. Replies, quotes and reposts (any mention whose
root is another post) are placed by their own `created_at`, so late and out-of-order
mentions land where they belong; readings are taken in the window W (10 minutes) that
ends at the mention's own time t:

    velocity          = negative replies in (t - W, t] per minute
    previous velocity = negative replies in (t - 2W, t - W] per minute
    acceleration      = (velocity - previous velocity) / W in minutes   [per minute²]
    credible velocity = Σ over distinct authors of their highest credibility in (t - W, t],
                        per minute (see pileon.py)
    negative share    = negative / all replies in the W minute buckets ending at t

State stays small and bounded: negative replies as (time, credibility, author digest)
within three windows of the thread's newest reply (at most MAX_NEGATIVES), reply counts
per minute over the same span, and digests of the last SEEN_IDS reply ids. A mention id
among those never counts twice; a mention more than three windows older than the
thread's newest reply is too late to count.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from smileback.scorer.state import DEFAULT_MAX_KEYS, MemoryStore, digest, remember

__all__ = [
    "HORIZON_WINDOWS",
    "MAX_NEGATIVES",
    "SEEN_IDS",
    "WINDOW",
    "Negative",
    "Post",
    "ThreadReading",
    "ThreadState",
    "ThreadTracker",
    "observe",
    "read",
]

WINDOW = timedelta(minutes=10)
HORIZON_WINDOWS = 3
MAX_NEGATIVES = 1_000
SEEN_IDS = 512

Negative = tuple[float, float, str]  # (epoch seconds, credibility, author digest)


class ThreadState(BaseModel):
    """One thread's state; JSON-serialisable so a Faust table can hold it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    root_reach: float | None = None  # set once the root itself has been seen
    newest: float | None = None  # epoch seconds of the newest reply
    negatives: tuple[Negative, ...] = ()  # sorted by time
    replies: dict[int, int] = {}  # minute (epoch // 60) -> replies of any sentiment
    seen: tuple[str, ...] = ()  # digests of the latest reply ids, oldest first


@dataclass(frozen=True)
class Post:
    """What the thread core needs to know about one mention."""

    mention_id: str
    at: datetime
    is_reply: bool
    negative: bool
    reach: float  # the mention author's reach
    author: str  # a digest naming the author (distinct per mention when unknown)
    credibility: float


@dataclass(frozen=True)
class ThreadReading:
    """The thread as seen at one mention's time."""

    velocity: float
    previous_velocity: float
    acceleration: float
    credible_velocity: float
    negative_share: float
    root_reach: float  # the root author's, or the mention's own while the root is unseen
    duplicate: bool = False


class ThreadTracker(MemoryStore[ThreadState]):
    """Thread states in memory, for the demo and `smileback score`."""

    def __init__(self, *, max_threads: int = DEFAULT_MAX_KEYS) -> None:
        super().__init__(max_keys=max_threads)


def observe(
    state: ThreadState | None, post: Post, *, window: timedelta = WINDOW
) -> tuple[ThreadState, ThreadReading]:
    """Record one mention of a thread; the new state and the reading at the mention's time."""
    state = state or ThreadState()
    t = post.at.timestamp()
    if not post.is_reply:
        if state.root_reach != post.reach:
            state = state.model_copy(update={"root_reach": post.reach})
        return state, read(state, at=post.at, reach=post.reach, window=window)
    key = digest(post.mention_id)
    if key in state.seen:
        reading = read(state, at=post.at, reach=post.reach, window=window)
        return state, replace(reading, duplicate=True)
    negatives = list(state.negatives)
    if post.negative:
        bisect.insort(negatives, (t, post.credibility, post.author))
    replies = dict(state.replies)
    minute = int(t // 60)
    replies[minute] = replies.get(minute, 0) + 1
    newest = t if state.newest is None else max(state.newest, t)
    horizon = newest - HORIZON_WINDOWS * window.total_seconds()
    cut = bisect.bisect_left(negatives, horizon, key=_time)
    # Built from values this function made itself, so validation would only cost time.
    state = ThreadState.model_construct(
        root_reach=state.root_reach,
        newest=newest,
        negatives=tuple(negatives[cut:][-MAX_NEGATIVES:]),
        replies={m: n for m, n in replies.items() if m >= horizon // 60},
        seen=remember(state.seen, key, limit=SEEN_IDS),
    )
    return state, read(state, at=post.at, reach=post.reach, window=window)


def read(
    state: ThreadState | None, *, at: datetime, reach: float, window: timedelta = WINDOW
) -> ThreadReading:
    """The thread's reading in the window ending at `at` (`reach` stands in for an unseen root)."""
    state = state or ThreadState()
    t = at.timestamp()
    w = window.total_seconds()
    minutes = w / 60.0
    negatives = state.negatives
    lo = bisect.bisect_right(negatives, t - w, key=_time)
    hi = bisect.bisect_right(negatives, t, key=_time)
    before = bisect.bisect_right(negatives, t - 2 * w, key=_time)
    current = negatives[lo:hi]
    velocity = len(current) / minutes
    previous = (lo - before) / minutes
    strongest: dict[str, float] = {}
    for _, weight, author in current:
        if weight > strongest.get(author, 0.0):
            strongest[author] = weight
    # Minute buckets of the window: the current minute and the W - 1 before it.
    last = int(t // 60)
    first = last - int(minutes) + 1
    replies = sum(n for m, n in state.replies.items() if first <= m <= last)
    negative = hi - max(lo, bisect.bisect_left(negatives, first * 60.0, key=_time))
    return ThreadReading(
        velocity=velocity,
        previous_velocity=previous,
        acceleration=(velocity - previous) / minutes,
        credible_velocity=sum(strongest.values()) / minutes,
        negative_share=min(1.0, negative / replies) if replies else 0.0,
        root_reach=state.root_reach if state.root_reach is not None else reach,
    )


def _time(item: Negative) -> float:
    return item[0]
