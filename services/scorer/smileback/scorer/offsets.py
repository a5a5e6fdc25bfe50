"""Which input offsets the scorer has fully processed, and so which offsets it may commit.

Faust commits a partition up to the first offset that was never acked, from its own
in-memory bookkeeping of acks, read positions and "gaps". Around a rebalance or a seek that
bookkeeping drifts from what the agents were actually given (faust-streaming 0.15.3): a
record fetched before the seek that arrives after it moves the read position forward, the
re-fetched records behind it are dropped as already read, and a record the stream discards
as belonging to an old generation is acked unprocessed. The result is either a hole that is
never acked (the committed offset stops there for good while later records are processed)
or a commit past records nobody processed.

The ledger replaces that bookkeeping for the stream partitions. It only counts an offset
once an agent has processed the record and sent what it produced, and its commit point is
the first offset not yet counted, so a commit never passes an unprocessed record. A hole
(later offsets processed, an earlier one not) cannot fill itself, because Faust will not
deliver that record again; `seek_backs` names the partitions to re-read from the hole, at
most once per `retry_s` (doubling while it stays open, up to `max_retry_s`), and the seen-id
checks of the state make the re-read records count once. The ledger is rebased on the
broker's committed offsets whenever the consumer seeks to them (after every rebalance).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from faust.types import TP

__all__ = ["OffsetLedger", "SentEnds"]


@dataclass
class _Partition:
    # The first offset not processed yet: what may be committed. None until known.
    next: int | None
    # Processed offsets above `next` (a hole lies below them).
    done: set[int] = field(default_factory=set)
    # When the current hole was first seen, or last sought back to.
    stuck_since: float | None = None
    retry_s: float = 0.0


class OffsetLedger:
    """Processed offsets per owned stream partition; commit points and holes to re-read."""

    def __init__(self, *, retry_s: float, max_retry_s: float) -> None:
        self._retry_s = retry_s
        self._max_retry_s = max_retry_s
        self._parts: dict[TP, _Partition] = {}

    def rebase(self, committed: Mapping[TP, int | None]) -> None:
        """Own exactly these partitions, starting from the broker's committed offsets."""
        self._parts = {tp: _Partition(next=offset) for tp, offset in committed.items()}

    def owned(self) -> set[TP]:
        """The partitions the ledger tracks."""
        return set(self._parts)

    def processed(self, tp: TP, offsets: Iterable[int], *, now: float) -> None:
        """Count records of `tp` whose processing is complete (outputs handed to the producer)."""
        part = self._parts.get(tp)
        if part is None:
            return  # not ours (any more): nothing of it is committed by this worker
        for offset in offsets:
            if part.next is None:
                # No committed offset: the consumer starts at the earliest record it gets.
                part.next = offset
            if offset >= part.next:
                part.done.add(offset)
        self._advance(part, now=now)

    def commit_point(self, tp: TP) -> int | None:
        """The offset to commit for `tp`: everything below it was processed."""
        part = self._parts.get(tp)
        return part.next if part is not None else None

    def seek_backs(self, *, now: float) -> dict[TP, int]:
        """Partitions with a hole due for a re-read, and the offset to re-read from."""
        due: dict[TP, int] = {}
        for tp, part in self._parts.items():
            if part.next is None or part.stuck_since is None:
                continue
            if now - part.stuck_since >= part.retry_s:
                due[tp] = part.next
                part.stuck_since = now
                part.retry_s = min(part.retry_s * 2, self._max_retry_s)
        return due

    def skip_to(self, tp: TP, offset: int, *, now: float) -> None:
        """Records of `tp` below `offset` no longer exist (retention): nothing to wait for."""
        part = self._parts.get(tp)
        if part is None or part.next is None or offset <= part.next:
            return
        part.next = offset
        part.done = {o for o in part.done if o >= offset}
        self._advance(part, now=now)

    def holes(self) -> dict[TP, tuple[int, int]]:
        """Open holes: the first missing offset and the first processed one above it."""
        return {
            tp: (part.next, min(part.done))
            for tp, part in self._parts.items()
            if part.next is not None and part.done
        }

    def _advance(self, part: _Partition, *, now: float) -> None:
        assert part.next is not None
        while part.next in part.done:
            part.done.discard(part.next)
            part.next += 1
        if not part.done:
            part.stuck_since, part.retry_s = None, self._retry_s
        elif part.stuck_since is None:
            part.stuck_since, part.retry_s = now, self._retry_s


@dataclass
class SentEnds:
    """Where each partition ends after the last record this worker sent to it: its offset
    plus one, from the broker's acknowledgement (`note`, a done callback of the send)."""

    ends: dict[TP, int] = field(default_factory=dict)

    def note(self, sent: asyncio.Future[Any]) -> None:
        """Take the end from a send that went through; a failed one tells nothing."""
        if sent.cancelled() or sent.exception() is not None:
            return
        written = sent.result()
        tp = TP(written.topic, written.partition)
        self.ends[tp] = max(self.ends.get(tp, 0), written.offset + 1)
