"""The brand step first: raw partitions paused while the brand step has enough waiting.

Both scorer steps share one consumer, and aiokafka hands out a poll's records partition by
partition in the order their fetches came back. Behind a backlog the raw partitions always
have a full buffer, so the by-brand records the thread step wrote waited behind them: the
thread step read 2,700 mentions/s while the brand step stored 90/s, and the by-brand topic
grew until the raw backlog was gone. Giving the by-brand records priority on every poll
starved nothing but split both steps into small batches, which write each state key back
more often (about twice the CPU per mention).

So the worker stops handing out raw records while its brand step has at least two
batches' worth waiting, and starts again once it has less than one: the brand step keeps
up, both steps still take whole batches, and under live traffic (the brand step never
that far behind) nothing changes. The raw records stay buffered in the consumer
meanwhile; only what a poll asks the fetcher for changes (commits.py: `held_topics`).
With several workers each one weighs its own by-brand partitions: a worker whose brand
step is behind slows its own thread step, not the others', which feed it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from smileback.scorer.commits import LedgerConsumer

__all__ = ["BrandFirst", "steer"]


@dataclass
class BrandFirst:
    """Hysteresis on the brand step's waiting records: pause raw at `pause_at` or more,
    resume below `resume_at`."""

    pause_at: int
    resume_at: int
    paused: bool = False

    def __post_init__(self) -> None:
        if not 0 < self.resume_at <= self.pause_at:
            raise ValueError(f"need 0 < resume_at <= pause_at, got {self}")

    def update(self, waiting: int) -> bool:
        """Whether raw records should be held back, given the brand step's waiting records."""
        if self.paused and waiting < self.resume_at:
            self.paused = False
        elif not self.paused and waiting >= self.pause_at:
            self.paused = True
        return self.paused


def steer(
    consumer: LedgerConsumer,
    *,
    gate: BrandFirst,
    lag: Mapping[tuple[str, int], int],
    raw: str,
    by_brand: str,
) -> None:
    """Hold back or hand out `raw` records by the by-brand partitions' `lag`."""
    waiting = sum(count for (topic, _), count in lag.items() if topic == by_brand)
    consumer.held_topics = frozenset({raw}) if gate.update(waiting) else frozenset()
