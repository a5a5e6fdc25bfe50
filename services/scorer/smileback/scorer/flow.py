"""The brand step first: raw partitions paused while the brand step has enough waiting.

Only by-brand records wait here: mentions of by-brand partitions the worker owns go
through its brand step in the thread step's batch (batches.BrandHop), so a lone worker
writes none and this never holds it back. With several workers each one reads the others'.
The steps' alternation below, measured on a lone worker before that handover, is what a
worker's records from the others still go through.

Both scorer steps share one consumer, and aiokafka hands out a poll's records partition by
partition in the order their fetches came back. Behind a backlog the raw partitions always
have a full buffer, so the by-brand records the thread step wrote waited behind them: the
thread step read 2,700 mentions/s while the brand step stored 90/s, and the by-brand topic
grew until the raw backlog was gone. Giving the by-brand records priority on every poll
starved nothing but split both steps into small batches, which write each state key back
more often (about twice the CPU per mention).

So the worker stops handing out raw records while its brand step has enough waiting, and
starts again once it has less than one batch's worth: the brand step keeps up and both
steps still take whole batches. The raw records stay buffered in the consumer meanwhile;
only what a poll asks the fetcher for changes (commits.py: `held_topics`). With several
workers each one weighs its own by-brand partitions: a worker whose brand step is behind
slows its own thread step, not the others', which feed it too.

Only behind a raw backlog, and late. Each switch between the steps costs the worker a
moment idle (once raw is held back the by-brand records have to be fetched, and each step
waits out its batch window), so the gate closes at PAUSE_BATCHES batches' worth: a
100,000-mention backlog was scored at 950/s with 2, 1,200/s with 4, 1,270/s with 10 and
1,395/s with 20 (one run each on a 2-core VM). Under live traffic a by-brand record carries
only the few mentions of a small batch, so a mark counted in records switched every few
hundred mentions: at 1,000 mentions/s the worker fell behind with half a core idle and
pages waited 5 s at the median. There the gate stays open: the raw buffers are short, so
the by-brand records wait behind little.

How many by-brand records wait is read from where each partition ends. The consumer learns
that only from a fetch response, and aiokafka sends no fetch for a partition while records
of it are still buffered; behind a backlog a poll takes its records from the buffered
fetches in the order they came back, so the by-brand records of a fetch waited behind
thousands of raw ones, their partitions were not fetched again meanwhile, and the waiting
count stayed at what the last fetch had seen: a handful. The raw records never paused, the
brand step stood still for seconds at a time, and stored rows came in bursts with pauses of
10 s. So the end is also taken from the worker's own writes (`LedgerConsumer.written`:
each by-brand record's offset once the broker has it), which are the thread step's and
always current.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from smileback.scorer.commits import LedgerConsumer

__all__ = ["BACKLOG_BATCHES", "PAUSE_BATCHES", "BrandFirst", "steer"]

# The brand step's batches waiting that hold raw records back behind a backlog, and the
# thread step's batches of raw records waiting that make one.
PAUSE_BATCHES = 20
BACKLOG_BATCHES = 10


@dataclass
class BrandFirst:
    """Hysteresis on the brand step's waiting records: behind a raw backlog pause raw at
    `pause_at` or more; resume below `resume_at`."""

    pause_at: int
    resume_at: int
    paused: bool = False

    def __post_init__(self) -> None:
        if not 0 < self.resume_at <= self.pause_at:
            raise ValueError(f"need 0 < resume_at <= pause_at, got {self}")

    def update(self, waiting: int, *, backlog: bool) -> bool:
        """Whether raw records should be held back, given the brand step's waiting records
        and whether raw records have a backlog."""
        if self.paused and waiting < self.resume_at:
            self.paused = False
        elif not self.paused and backlog and waiting >= self.pause_at:
            self.paused = True
        return self.paused


def steer(
    consumer: LedgerConsumer,
    *,
    gate: BrandFirst,
    lag: Mapping[tuple[str, int], int],
    raw: str,
    by_brand: str,
    backlog_at: int,
) -> None:
    """Hold back or hand out `raw` records by the by-brand partitions' `lag`; `backlog_at`
    raw records waiting or more make a backlog."""
    waiting = sum(count for (topic, _), count in lag.items() if topic == by_brand)
    backlog = sum(count for (topic, _), count in lag.items() if topic == raw) >= backlog_at
    held = gate.update(waiting, backlog=backlog)
    consumer.held_topics = frozenset({raw}) if held else frozenset()
