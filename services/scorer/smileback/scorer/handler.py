"""The scorer stage on the Bus: decode, dead-letter the bad, score the rest, publish by root.

`prepare` is the one path from consumed records to text-scored mentions and `guard` the one
wrapper around each record's state step, shared by the embedded demo's handler and the
Faust agents: a record that cannot be parsed, or that the scorer fails on, goes to the DLQ
with the stage and the reason, and the rest of the batch goes on. A record counts as
`ok` once its step is done.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TypeVar

import structlog

from smileback.common.bus import Bus, Record
from smileback.common.clock import Clock
from smileback.common.dlq import PROCESSING, dead_letter
from smileback.common.errors import SchemaError
from smileback.common.events import Mention, decode, encode
from smileback.common.loop import Handler
from smileback.common.metrics import RECORDS, timed_batch
from smileback.common.topics import Topics
from smileback.scorer.metrics import MODEL_SCORING_SECONDS
from smileback.scorer.pipeline import ScoringPipeline, Staged, StagedBatch
from smileback.scorer.state import StateStore
from smileback.scorer.text_scoring import TextScore
from smileback.scorer.threads import ThreadState

__all__ = [
    "BRAND_STAGE",
    "STAGE",
    "Prepared",
    "decode_batch",
    "decode_staged",
    "guard",
    "make_handler",
    "prepare",
    "stage_thread",
]

STAGE = "scorer"
BRAND_STAGE = "scorer.brand"

D = TypeVar("D")
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Prepared:
    """A decoded mention with its text score (None for a tombstone) and its record's index."""

    index: int
    mention: Mention
    text: TextScore | None


def decode_batch(
    *,
    decoder: Callable[[bytes], D],
    records: Sequence[Record],
    bus: Bus,
    topics: Topics,
    clock: Clock,
    stage: str,
) -> list[tuple[int, D]]:
    """What `decoder` reads from each record, with the record's index; a record it refuses
    (SchemaError) is dead-lettered."""
    good: list[tuple[int, D]] = []
    for index, record in enumerate(records):
        try:
            good.append((index, decoder(record.value)))
        except SchemaError as exc:
            dead_letter(
                bus=bus, topics=topics, clock=clock, stage=stage, record=record, error=str(exc)
            )
    RECORDS.labels(stage=stage, outcome="dlq").inc(len(records) - len(good))
    return good


def prepare(
    *,
    records: Sequence[Record],
    bus: Bus,
    topics: Topics,
    clock: Clock,
    pipeline: ScoringPipeline,
) -> list[Prepared]:
    """Decode a batch and score its texts in one scorer call; the bad go to the DLQ."""
    decoded = decode_batch(
        decoder=partial(decode, Mention),
        records=records,
        bus=bus,
        topics=topics,
        clock=clock,
        stage=STAGE,
    )
    try:
        texts = _text_scores(pipeline, [mention for _, mention in decoded])
    except Exception as exc:  # one bad text must not sink its batch: find it
        log.warning("batch scoring failed, scoring one by one", error=str(exc))
        prepared: list[Prepared] = []
        for index, mention in decoded:
            with guard(bus=bus, topics=topics, clock=clock, stage=STAGE, record=records[index]):
                (text,) = _text_scores(pipeline, [mention])
                prepared.append(Prepared(index, mention, text))
        return prepared
    return [Prepared(i, m, t) for (i, m), t in zip(decoded, texts, strict=True)]


def _text_scores(pipeline: ScoringPipeline, mentions: list[Mention]) -> list[TextScore | None]:
    """One call of the model, timed."""
    with MODEL_SCORING_SECONDS.time():
        return pipeline.text_scores(mentions)


@contextmanager
def guard(
    *, bus: Bus, topics: Topics, clock: Clock, stage: str, record: Record | Callable[[], Record]
) -> Iterator[None]:
    """Dead-letter `record` if the block raises, so one record never stops the stream. A
    callable is asked for the record only then (the brand step builds one per mention)."""
    try:
        yield
    except Exception as exc:  # whatever failed is this record's reason
        error = f"scoring failed: {type(exc).__name__}: {exc}"
        failed = record if isinstance(record, Record) else record()
        dead_letter(
            bus=bus,
            topics=topics,
            clock=clock,
            stage=stage,
            record=failed,
            error=error,
            reason=PROCESSING,
        )
        RECORDS.labels(stage=stage, outcome="dlq").inc()


def make_handler(*, bus: Bus, topics: Topics, pipeline: ScoringPipeline, clock: Clock) -> Handler:
    """A handler that scores each polled batch with one scorer call and in-memory state."""

    def handle(records: Sequence[Record]) -> None:
        with timed_batch(STAGE, size=len(records)):
            now = clock()
            for item in prepare(
                records=records, bus=bus, topics=topics, clock=clock, pipeline=pipeline
            ):
                record = records[item.index]
                with guard(bus=bus, topics=topics, clock=clock, stage=STAGE, record=record):
                    scored = pipeline.finish(mention=item.mention, text=item.text, now=now)
                    bus.publish(topics.scored, key=scored.root_id, value=encode(scored))
                    RECORDS.labels(stage=STAGE, outcome="ok").inc()

    return handle


def stage_thread(
    *,
    mention: Mention,
    text: TextScore | None,
    pipeline: ScoringPipeline,
    now: datetime,
    threads: StateStore[ThreadState],
    bus: Bus,
    topics: Topics,
) -> Staged | None:
    """Thread-step one mention in Faust: the staged mention when it goes on to its brand's
    step, None when it went straight out (brandless, or a tombstone)."""
    if text is None:
        tombstone = pipeline.tombstone(mention)
        bus.publish(topics.scored, key=tombstone.root_id, value=encode(tombstone))
        return None
    staged = pipeline.thread_step(mention=mention, text=text, now=now, threads_store=threads)
    if staged.scored.brand is None:
        bus.publish(topics.scored, key=staged.scored.root_id, value=encode(staged.scored))
        return None
    return staged


def decode_staged(raw: bytes) -> list[Staged]:
    """A by-brand record's staged mentions: a `StagedBatch`, or one `Staged` as a scorer
    before batching wrote them (still in the topic after an upgrade)."""
    try:
        return decode(StagedBatch, raw).staged
    except SchemaError as batch_error:
        try:
            return [decode(Staged, raw)]
        except SchemaError:
            raise batch_error from None
