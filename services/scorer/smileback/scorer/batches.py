"""One batch of each Faust agent: consumed events in, state written back, outputs published.

The thread step scores a batch's texts in one call, updates each thread under its own event
(`current_event`, so the table write goes to that event's changelog partition), then hands
the staged mentions whose by-brand partition this worker owns to the brand step at once
(`BrandHop`) and sends a brand's others on as a few `StagedBatch` records. The brand step
reads those records and updates brand and author state the same way, each mention in the
brand state its record is keyed by (the brand, or one of its shards: shards.py). Each step
writes its tables back once, at the end of the batch (`TableStore.flush`), before anything
of the batch is sent.
A record that cannot be read, or a mention a step fails on, is dead-lettered on its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, cast

import faust

from smileback.common.bus import Bus, Record
from smileback.common.clock import Clock
from smileback.common.events import ScoredMention, encode
from smileback.common.metrics import RECORDS, timed_batch
from smileback.common.topics import Topics
from smileback.scorer.authors import AuthorState
from smileback.scorer.baseline import BrandState
from smileback.scorer.handler import (
    BRAND_STAGE,
    STAGE,
    decode_batch,
    decode_staged,
    guard,
    prepare,
    stage_thread,
)
from smileback.scorer.pipeline import ScoringPipeline, Staged, pack_staged
from smileback.scorer.shards import brand_key
from smileback.scorer.state import WriteBackStore
from smileback.scorer.tables import PartitionEvent, current_event
from smileback.scorer.threads import ThreadState

__all__ = ["Batches", "BrandHop", "record_of"]

_Events = Sequence[faust.EventT[Any]]

# Bound once: looking the labelled series up for every mention was 3 % of the scorer.
_THREAD_OK = RECORDS.labels(stage=STAGE, outcome="ok")
_BRAND_OK = RECORDS.labels(stage=BRAND_STAGE, outcome="ok")


@dataclass(frozen=True)
class BrandHop:
    """Where the thread step's staged mentions go: the by-brand `topic`, the partition of
    a by-brand key there, and whether this worker's brand step owns a partition now.

    Mentions whose partition the worker owns are handed to its brand step in the same batch,
    in-process, with that partition's event context (so the brand state is written to the
    changelog partition it lives in, as if read from the topic): no by-brand record, no
    wait for the brand step's turn on the shared consumer. The others are sent to the
    topic, for the worker that owns their partition. Either way a brand key's state has one
    writer: the owner of its partition. A crash before the raw batch is committed brings its
    mentions back as duplicates, which the brand step reads without counting again, as it
    does a by-brand record sent twice."""

    topic: str
    partition_of: Callable[[str], int]
    owned: Callable[[int], bool]


@dataclass(frozen=True)
class Batches:
    """What both steps share: where they publish, the topics, the clock, the pipeline, and
    how many shards a brand's mentions are spread over."""

    bus: Bus
    topics: Topics
    clock: Clock
    pipeline: ScoringPipeline
    brand_shards: int = 1

    def threads(
        self,
        events: _Events,
        *,
        threads: WriteBackStore[ThreadState],
        hop: BrandHop,
        brands: WriteBackStore[BrandState],
        authors: WriteBackStore[AuthorState],
        siblings: Callable[[str], Sequence[BrandState]] | None = None,
    ) -> None:
        """The thread step for one batch of raw mentions, then the brand step for the
        mentions whose by-brand partition this worker owns (`hop`); the others go on as
        by-brand records."""
        with timed_batch(STAGE, size=len(events)):
            records = [record_of(event) for event in events]
            now = self.clock()
            staged: defaultdict[str, list[tuple[int, Staged]]] = defaultdict(list)
            for item in prepare(
                records=records,
                bus=self.bus,
                topics=self.topics,
                clock=self.clock,
                pipeline=self.pipeline,
            ):
                with self._guard(STAGE, records[item.index]), current_event(events[item.index]):
                    step = stage_thread(
                        mention=item.mention,
                        text=item.text,
                        pipeline=self.pipeline,
                        now=now,
                        threads=threads,
                        bus=self.bus,
                        topics=self.topics,
                    )
                    if step is not None and step.scored.brand is not None:
                        staged[self._brand_key(step.scored)].append((item.index, step))
                    _THREAD_OK.inc()
        here: list[tuple[str, int, list[tuple[int, Staged]]]] = []
        for key, items in staged.items():
            partition = hop.partition_of(key)
            if hop.owned(partition):
                here.append((key, partition, items))
                continue
            for value in pack_staged([encode(step) for _, step in items]):
                self.bus.publish(hop.topic, key=key, value=value)
        if here:
            self._brands_here(
                here, records, hop=hop, brands=brands, authors=authors, siblings=siblings
            )
        # The threads last: a thread that has seen a mention makes its redelivery a duplicate,
        # which no step counts again, so its changelog record goes out after the brand and
        # author states that count the mention (sending.send_changelogs keeps that order).
        threads.flush()

    def _brands_here(
        self,
        here: Sequence[tuple[str, int, list[tuple[int, Staged]]]],
        records: Sequence[Record],
        *,
        hop: BrandHop,
        brands: WriteBackStore[BrandState],
        authors: WriteBackStore[AuthorState],
        siblings: Callable[[str], Sequence[BrandState]] | None,
    ) -> None:
        """The brand step for staged mentions whose by-brand partition this worker owns."""
        # Held until the flush, which writes each state under the event that was current.
        places = {p: PartitionEvent(topic=hop.topic, partition=p) for _, p, _ in here}
        with timed_batch(BRAND_STAGE, size=sum(len(items) for _, _, items in here)):
            for key, partition, items in here:
                # The raw record stands for a mention the brand step fails on: replayed, it
                # is scored again from the start.
                with current_event(places[partition]):
                    self._brand_step(
                        key,
                        [(step, records[index]) for index, step in items],
                        brands=brands,
                        authors=authors,
                        siblings=siblings,
                    )
            brands.flush()
            authors.flush()

    def brands(
        self,
        events: _Events,
        *,
        brands: WriteBackStore[BrandState],
        authors: WriteBackStore[AuthorState],
        siblings: Callable[[str], Sequence[BrandState]] | None = None,
    ) -> None:
        """The brand step for one batch of by-brand records (`siblings`: the states of a
        brand's other shards, when it has more than one)."""
        with timed_batch(BRAND_STAGE, size=len(events)):
            records = [record_of(event) for event in events]
            for index, items in decode_batch(
                decoder=decode_staged,
                records=records,
                bus=self.bus,
                topics=self.topics,
                clock=self.clock,
                stage=BRAND_STAGE,
            ):
                key = records[index].key
                with current_event(events[index]):
                    self._brand_step(
                        key.decode("utf-8", "replace") if key else None,
                        [(staged, partial(_item, records[index], staged)) for staged in items],
                        brands=brands,
                        authors=authors,
                        siblings=siblings,
                    )
            brands.flush()
            authors.flush()

    def _brand_step(
        self,
        key: str | None,
        items: Sequence[tuple[Staged, Record | Callable[[], Record]]],
        *,
        brands: WriteBackStore[BrandState],
        authors: WriteBackStore[AuthorState],
        siblings: Callable[[str], Sequence[BrandState]] | None,
    ) -> None:
        """Brand and author state for staged mentions of one by-brand key, each scored
        mention published (a failed one dead-lettered as the record paired with it)."""
        for staged, record in items:
            with self._guard(BRAND_STAGE, record):
                scored = self.pipeline.brand_step(
                    staged=staged,
                    brands_store=brands,
                    authors_store=authors,
                    brand_key=key,
                    siblings=siblings,
                )
                self.bus.publish(self.topics.scored, key=scored.root_id, value=encode(scored))
                _BRAND_OK.inc()

    def _brand_key(self, scored: ScoredMention) -> str:
        """The by-brand key of a branded mention: its brand's shard for its author."""
        assert scored.brand is not None
        return brand_key(brand=scored.brand, who=scored.author_identity, shards=self.brand_shards)

    def _guard(
        self, stage: str, record: Record | Callable[[], Record]
    ) -> AbstractContextManager[None]:
        return guard(bus=self.bus, topics=self.topics, clock=self.clock, stage=stage, record=record)


def _item(record: Record, staged: Staged) -> Record:
    """One staged mention of a by-brand record as a record of its own, for the DLQ: a failed
    mention is dead-lettered alone, not with the others of its record."""
    return replace(record, value=encode(staged))


def record_of(event: faust.EventT[Any]) -> Record:
    """A Faust event as a bus Record."""
    message = event.message
    key = cast(bytes | None, event.key)
    value = cast(bytes | None, event.value)
    return Record(message.topic, message.partition, message.offset, key, value or b"")
