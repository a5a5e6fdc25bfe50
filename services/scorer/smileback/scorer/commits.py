"""The Faust consumer that commits from the scorer's `OffsetLedger`, and the seek-back step.

Faust's own commit path stays (flush the producer, then commit; only owned partitions;
tables notified), but which offset a partition may commit comes from the ledger, which the
agents feed with what they processed (see offsets.py for why Faust's ack bookkeeping is not
used). The overridden methods are private Faust API, pinned by faust-streaming 0.15.3 and
exercised by tests/scorer/test_commits.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, cast

import faust
import structlog
from faust.transport.consumer import RecordMap
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, ConsumerT, TransportT
from faust.types.transports import TPorTopicSet

from smileback.scorer.fetching import ShortFetchThread
from smileback.scorer.offsets import OffsetLedger, SentEnds

__all__ = [
    "MAX_RETRY_S",
    "RETRY_S",
    "LedgerConsumer",
    "LedgerTransport",
    "ScorerApp",
    "ledger_of",
    "seek_back",
    "stream_lag",
]

log = structlog.get_logger(__name__)

# A hole is re-read once it has been open this long, then at growing intervals up to the cap.
RETRY_S = 2.0
MAX_RETRY_S = 30.0
_HELD_IDLE_S = 0.05  # a poll with every partition held back waits this long, then returns


class LedgerConsumer(faust_aiokafka.Consumer):
    """A Faust Kafka consumer whose commit points are the ledger's, its fetches short
    (fetching.py), and which can hold back the records of whole topics (flow.py)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ledger = OffsetLedger(retry_s=RETRY_S, max_retry_s=MAX_RETRY_S)
        self.held_topics: frozenset[str] = frozenset()
        # Where partitions end after this worker's own writes (flow.py: why it matters).
        self.written = SentEnds()

    async def _getmany(self, active_partitions: set[TP] | None, timeout: float) -> RecordMap:
        # Held back by asking the fetcher for the other partitions only. Not by taking them
        # out of `active_partitions`, as Faust's `pause_partitions` does: Faust drops the
        # records of a partition that left that set while a poll was under way, and the
        # fetch position has moved past them, so nothing would ever deliver them again.
        if not self.held_topics or active_partitions is None:
            return await super()._getmany(active_partitions, timeout)
        wanted = {tp for tp in active_partitions if tp.topic not in self.held_topics}
        if not wanted:  # an empty set means every partition to aiokafka
            await asyncio.sleep(min(timeout, _HELD_IDLE_S))
            return {}
        return await super()._getmany(wanted, timeout)

    def _new_consumer_thread(self) -> ShortFetchThread:
        return ShortFetchThread(self, loop=self.loop, beacon=self.beacon)

    async def seek_to_committed(self) -> Mapping[TP, int]:
        """Seek (after every rebalance) and start the ledger from the committed offsets."""
        committed = await super().seek_to_committed()
        streams = {
            tp: cast(int | None, offset)
            for tp, offset in committed.items()
            if not self._is_changelog_tp(tp)
        }
        # aiokafka seeks only to committed offsets above 0, so a partition committed at 0 (or
        # not at all) kept its fetch position: records fetched before the rebalance and
        # discarded with the agents' buffers were never fetched again, and nothing of the
        # partition was processed or committed any more. Seek those to their start too.
        unsought = [tp for tp, offset in streams.items() if not offset]
        if unsought:
            starts = await self.earliest_offsets(*unsought)
            await self.seek_wait({tp: starts[tp] for tp in unsought})
            streams.update({tp: starts[tp] for tp in unsought if streams[tp] is None})
        self.ledger.rebase(streams)
        return committed

    def _filter_tps_with_pending_acks(self, topics: TPorTopicSet | None = None) -> Iterator[TP]:
        return (
            tp for tp in self.ledger.owned() if topics is None or tp in topics or tp.topic in topics
        )

    def _new_offset(self, tp: TP) -> int | None:
        # Faust's ack lists are pruned here normally; they are not read any more, so drop
        # them rather than let them grow.
        self._acked.pop(tp, None)
        self._acked_index.pop(tp, None)
        self._gap.pop(tp, None)
        return self.ledger.commit_point(tp)


class LedgerTransport(faust_aiokafka.Transport):
    """The aiokafka transport with the ledger consumer."""

    Consumer: ClassVar[type[ConsumerT]] = LedgerConsumer


class ScorerApp(faust.App):
    """A Faust app on the ledger transport."""

    def _new_transport(self) -> TransportT:
        return LedgerTransport(self.conf.broker_consumer, self)


def ledger_of(app: faust.App) -> OffsetLedger | None:
    """The app's ledger, or None when its consumer is not a ledger consumer (test doubles)."""
    consumer = app.consumer
    return consumer.ledger if isinstance(consumer, LedgerConsumer) else None


def stream_lag(app: faust.App) -> dict[tuple[str, int], int] | None:
    """Per stream partition the worker owns, the records from its commit point to the end
    of the log as its last fetch saw it, or as its own writes saw it when that is further;
    no broker request. A partition with neither is left out. None while the group
    rebalances or without a ledger (test doubles)."""
    ledger = ledger_of(app)
    if ledger is None or app.rebalancing:
        return None
    consumer = cast(LedgerConsumer, app.consumer)
    lag: dict[tuple[str, int], int] = {}
    for tp in ledger.owned():
        # aiokafka answers None for a partition it has no fetch response for yet.
        fetched = cast(int | None, consumer.highwater(tp))
        known = [e for e in (fetched, consumer.written.ends.get(tp)) if e is not None]
        end = max(known, default=None)
        done = ledger.commit_point(tp)
        if end is not None and done is not None:
            lag[(tp.topic, tp.partition)] = max(0, end - done)
    return lag


async def seek_back(app: faust.App) -> dict[TP, int]:
    """Re-read each hole that is due; returns what was sought (partition -> offset)."""
    ledger = ledger_of(app)
    if ledger is None or app.rebalancing:
        return {}
    due = ledger.seek_backs(now=time.monotonic())
    if not due:
        return {}
    consumer = app.consumer
    # Records of a hole that retention has deleted will never come back.
    earliest = await consumer.earliest_offsets(*due)
    sought: dict[TP, int] = {}
    for tp, offset in due.items():
        start = earliest.get(tp, 0)
        if offset < start:
            ledger.skip_to(tp, start, now=time.monotonic())
            log.warning("scorer offsets skipped: deleted", partition=str(tp), to=start)
            continue
        sought[tp] = offset
    if sought:
        log.warning(
            "scorer re-reading records it was never given",
            holes={str(tp): list(hole) for tp, hole in ledger.holes().items() if tp in sought},
        )
        await consumer.seek_wait(sought)
        # Faust drops every fetched record below a partition's read offset (the last offset
        # it handed on), and a hole lies below it: without lowering it, as Faust's own
        # `seek` does, the re-read records would be dropped again, for good.
        read_offsets = cast(faust_aiokafka.Consumer, consumer)._read_offset
        read_offsets.update(sought)
    return sought
