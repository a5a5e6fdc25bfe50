"""The scorer stage on the Bus: decode, dead-letter the bad, score the rest, publish by root."""

from __future__ import annotations

from collections.abc import Sequence

from smileback.common.bus import Bus, Record
from smileback.common.clock import Clock
from smileback.common.dlq import dead_letter
from smileback.common.errors import SchemaError
from smileback.common.events import Mention, decode, encode
from smileback.common.loop import Handler
from smileback.common.metrics import RECORDS, STAGE_SECONDS
from smileback.common.topics import Topics
from smileback.scorer.pipeline import ScoringPipeline

__all__ = ["STAGE", "make_handler"]

STAGE = "scorer"


def make_handler(*, bus: Bus, topics: Topics, pipeline: ScoringPipeline, clock: Clock) -> Handler:
    """A handler that scores each polled batch with one pipeline call."""

    def handle(records: Sequence[Record]) -> None:
        with STAGE_SECONDS.labels(stage=STAGE).time():
            mentions: list[Mention] = []
            for record in records:
                try:
                    mentions.append(decode(Mention, record.value))
                except SchemaError as exc:
                    dead_letter(
                        bus=bus,
                        topics=topics,
                        clock=clock,
                        stage=STAGE,
                        record=record,
                        error=str(exc),
                    )
            for scored in pipeline.score_batch(mentions=mentions, now=clock()):
                bus.publish(topics.scored, key=scored.root_id, value=encode(scored))
        RECORDS.labels(stage=STAGE, outcome="ok").inc(len(mentions))
        RECORDS.labels(stage=STAGE, outcome="dlq").inc(len(records) - len(mentions))

    return handle
