"""Per-thread state: how fast negative replies arrive, and the risk of a pile-on.

thread_velocity: negative replies/quotes per minute in the window (default 10
minutes) that ends at the mention's own `created_at`, counting the mention
itself when it is one. Events are placed by their own time, so late and
out-of-order mentions land where they belong; a mention id never counts twice.

Memory stays bounded: a thread keeps only events within two windows of its
newest one (so a mention up to one window late still sees its whole window),
and at most `max_threads` thread roots are kept, least recently seen dropped
first.

pile_on_risk (0..1), monotone in each input (the full model is a later issue):
    heat = 1 - exp(-velocity / VELOCITY_SCALE)      # 1 negative reply/min -> 0.63
    risk = heat * (0.5 + 0.5 * root_reach) * (0.5 + 0.5 * negativity)
A calm thread (one negative reply in ten minutes) stays under 0.1; a burst of
three a minute under a large account's post with a hostile reply exceeds 0.7.
"""

from __future__ import annotations

import bisect
import math
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

__all__ = [
    "DEFAULT_WINDOW",
    "MAX_THREADS",
    "VELOCITY_SCALE",
    "ThreadState",
    "ThreadTracker",
    "pile_on_risk",
]

DEFAULT_WINDOW = timedelta(minutes=10)
MAX_THREADS = 100_000
VELOCITY_SCALE = 1.0


@dataclass(frozen=True)
class ThreadState:
    """A thread as seen at one mention's time."""

    velocity: float
    # The root author's reach, or the mention's own while the root has not been seen.
    root_reach: float


@dataclass
class _Thread:
    events: list[tuple[float, str]] = field(default_factory=list)  # (epoch s, id), sorted
    ids: set[str] = field(default_factory=set)
    root_reach: float | None = None


class ThreadTracker:
    """In-memory negative-reply times per thread root, bounded in time and in threads."""

    def __init__(
        self, *, window: timedelta = DEFAULT_WINDOW, max_threads: int = MAX_THREADS
    ) -> None:
        self._window_s = window.total_seconds()
        self._max_threads = max_threads
        self._threads: OrderedDict[str, _Thread] = OrderedDict()

    def __len__(self) -> int:
        return len(self._threads)

    def events_held(self, *, root_id: str) -> int:
        """How many negative-reply events are kept for a thread (0 when it is not tracked)."""
        thread = self._threads.get(root_id)
        return len(thread.events) if thread is not None else 0

    def observe(
        self,
        *,
        root_id: str,
        mention_id: str,
        at: datetime,
        is_reply: bool,
        negative: bool,
        reach: float,
    ) -> ThreadState:
        """Record one mention of a thread and return the thread's state at its time."""
        counts = is_reply and negative
        thread = self._thread(root_id, create=counts or not is_reply)
        if thread is None:
            return ThreadState(velocity=0.0, root_reach=reach)
        if not is_reply:
            thread.root_reach = reach
        t = at.timestamp()
        if counts and mention_id not in thread.ids:
            bisect.insort(thread.events, (t, mention_id))
            thread.ids.add(mention_id)
        # Events in (t - window, t].
        lo = bisect.bisect_right(thread.events, t - self._window_s, key=_time)
        hi = bisect.bisect_right(thread.events, t, key=_time)
        velocity = (hi - lo) / (self._window_s / 60.0)
        self._prune(thread)
        root_reach = thread.root_reach if thread.root_reach is not None else reach
        return ThreadState(velocity=velocity, root_reach=root_reach)

    def _thread(self, root_id: str, *, create: bool) -> _Thread | None:
        thread = self._threads.get(root_id)
        if thread is not None:
            self._threads.move_to_end(root_id)
            return thread
        if not create:
            return None
        thread = self._threads[root_id] = _Thread()
        if len(self._threads) > self._max_threads:
            self._threads.popitem(last=False)
        return thread

    def _prune(self, thread: _Thread) -> None:
        if not thread.events:
            return
        horizon = thread.events[-1][0] - 2 * self._window_s
        cut = bisect.bisect_left(thread.events, horizon, key=_time)
        for _, old_id in thread.events[:cut]:
            thread.ids.discard(old_id)
        del thread.events[:cut]


def _time(event: tuple[float, str]) -> float:
    return event[0]


def pile_on_risk(*, root_reach: float, velocity: float, negativity: float) -> float:
    """Risk (0..1) that a thread turns into a pile-on: heat scaled by audience and hostility."""
    heat = 1.0 - math.exp(-velocity / VELOCITY_SCALE)
    return heat * (0.5 + 0.5 * root_reach) * (0.5 + 0.5 * negativity)
