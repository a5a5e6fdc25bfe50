"""The projector: scored mentions, incident events and queue items into the store.

One transaction per batch. A record that fails its schema, or that the store
cannot hold, goes to the DLQ; a database error propagates, so the loop does not
commit and the batch is read again (the writes are idempotent).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from smileback.api.metrics import PROJECTOR_LAG
from smileback.api.store import apply_incident_event, upsert_mention, upsert_queue_item
from smileback.common.bus import Bus, Record
from smileback.common.clock import Clock
from smileback.common.dlq import dead_letter
from smileback.common.errors import SchemaError
from smileback.common.events import Event, IncidentEvent, QueueItem, ScoredMention, decode
from smileback.common.loop import Handler
from smileback.common.metrics import RECORDS, STAGE_SECONDS
from smileback.common.topics import Topics

__all__ = ["GROUP", "STAGE", "make_handler"]

STAGE = "api.projector"
GROUP = "smileback-api-projector"
_MAX_INT = 2**63 - 1  # BIGINT, and SQLite's INTEGER


@dataclass(frozen=True)
class _Decoded:
    record: Record
    event: Event
    event_time: datetime | None


def make_handler(*, engine: Engine, bus: Bus, topics: Topics, clock: Clock) -> Handler:
    """A batch handler for topics.scored, topics.incidents and topics.queues."""
    models: dict[str, type[Event]] = {
        topics.scored: ScoredMention,
        topics.incidents: IncidentEvent,
        topics.queues: QueueItem,
    }

    def handle(records: Sequence[Record]) -> None:
        with STAGE_SECONDS.labels(stage=STAGE).time():
            good: list[_Decoded] = []
            bad: list[tuple[Record, str]] = []
            for record in records:
                try:
                    good.append(_decode(record, models=models))
                except SchemaError as exc:
                    bad.append((record, str(exc)))
            now = clock()
            with Session(engine) as session, session.begin():
                for item in good:
                    _apply(session=session, event=item.event, now=now)
            for record, error in bad:
                dead_letter(
                    bus=bus, topics=topics, clock=clock, stage=STAGE, record=record, error=error
                )
            _observe(good=good, dlq=len(bad), now=now)

    return handle


def _decode(record: Record, *, models: dict[str, type[Event]]) -> _Decoded:
    """The record's event, or SchemaError when it is malformed or not storable."""
    model = models.get(record.topic)
    if model is None:
        raise SchemaError(f"the projector does not read topic {record.topic!r}")
    event = decode(model, record.value)
    problem = _unstorable(event.model_dump(mode="json"))
    if problem:
        raise SchemaError(problem)
    return _Decoded(record=record, event=event, event_time=_event_time(event))


def _apply(*, session: Session, event: Event, now: datetime) -> None:
    if isinstance(event, ScoredMention):
        upsert_mention(session=session, scored=event, now=now)
    elif isinstance(event, IncidentEvent):
        apply_incident_event(session=session, event=event)
    elif isinstance(event, QueueItem):
        upsert_queue_item(session=session, item=event)


def _unstorable(value: Any) -> str | None:
    """Why SQL cannot hold this JSON value (NUL in text, integers past 64 bits), or None."""
    if isinstance(value, str):
        return "text contains a NUL character, which SQL cannot store" if "\x00" in value else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return f"integer {value} is outside the 64-bit range" if abs(value) > _MAX_INT else None
    if isinstance(value, dict):
        return _first(_unstorable(k) or _unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return _first(_unstorable(v) for v in value)
    return None


def _first(problems: Iterable[str | None]) -> str | None:
    return next((p for p in problems if p), None)


def _event_time(event: Event) -> datetime | None:
    if isinstance(event, ScoredMention):
        return event.ingested_at or event.created_at
    if isinstance(event, IncidentEvent | QueueItem):
        return event.at
    return None


def _observe(*, good: list[_Decoded], dlq: int, now: datetime) -> None:
    """Count the batch and record the lag of the newest record per topic."""
    RECORDS.labels(stage=STAGE, outcome="ok").inc(len(good))
    if dlq:
        RECORDS.labels(stage=STAGE, outcome="dlq").inc(dlq)
    for item in good:
        if item.event_time is not None:
            PROJECTOR_LAG.labels(topic=item.record.topic).set(
                max(0.0, (now - item.event_time).total_seconds())
            )
