"""The projector: scored mentions, incident events and queue items into the store.

One transaction per batch, its mentions and its queue items each written by one statement
(see store.writes), its incident events one by one in order. A record that fails its schema
goes to the DLQ. A database error that says the connection or server failed is retried with
backoff (the writes are idempotent); when retries run out it propagates, so the loop does not
commit and the batch is read again. An error caused by one record's data (IntegrityError,
DataError) sends the batch through again one record per transaction, and only the records
the store refuses go to the DLQ: nothing is skipped silently.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import Engine
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from smileback.api.metrics import PROJECTOR_LAG, PROJECTOR_LAST_BATCH, PROJECTOR_RETRIES
from smileback.api.store import apply_incident_event, upsert_mentions, upsert_queue_items
from smileback.common.backoff import backoff_delay
from smileback.common.bus import Bus, Record
from smileback.common.clock import Clock
from smileback.common.dlq import PROCESSING, dead_letter
from smileback.common.errors import SchemaError
from smileback.common.events import Event, IncidentEvent, QueueItem, ScoredMention, decode
from smileback.common.loop import Handler
from smileback.common.metrics import RECORDS, timed_batch
from smileback.common.topics import Topics

__all__ = ["GROUP", "STAGE", "Retry", "Wait", "make_handler"]

log = structlog.get_logger(__name__)

STAGE = "api.projector"
GROUP = "smileback-api-projector"
_MAX_INT = 2**63 - 1  # BIGINT, and SQLite's INTEGER
# JSON writes a NUL only as \u0000, and an integer past 64 bits has at least 19 digits or an
# exponent, which follows a digit (1e20 is an integer to pydantic): a record without any of
# these holds nothing SQL cannot store. With digits read as 0 and E as e, substring searches
# find them (a regular expression doing the same took a sixth of the projector's time).
_NUMBER_SHAPES = bytes.maketrans(b"123456789E", b"000000000e")
_LONG_NUMBER = b"0" * 19
# The record's own data is what the database refused: retrying cannot help.
_DATA_ERRORS = (IntegrityError, DataError)

# Waits `seconds`; returns True when the projector is being stopped meanwhile.
Wait = Callable[[float], bool]


@dataclass(frozen=True)
class Retry:
    """Backoff for transient database errors: about `base_s` doubling up to `cap_s`, jittered
    (half to all of it), `attempts` times.

    The defaults wait at most about 45 s in all, well inside Kafka's max.poll.interval (5 min).
    """

    attempts: int = 8
    base_s: float = 0.5
    cap_s: float = 10.0
    jitter: Callable[[], float] = random.random

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (1-based)."""
        return backoff_delay(
            attempt=attempt, backoff_s=self.base_s, jitter=self.jitter(), cap_s=self.cap_s
        )


def _sleep(seconds: float) -> bool:
    time.sleep(seconds)
    return False


@dataclass(frozen=True)
class _Decoded:
    record: Record
    event: Event
    event_time: datetime | None


def make_handler(
    *,
    engine: Engine,
    bus: Bus,
    topics: Topics,
    clock: Clock,
    retry: Retry | None = None,
    wait: Wait = _sleep,
) -> Handler:
    """A batch handler for topics.scored, topics.incidents and topics.queues."""
    models: dict[str, type[Event]] = {
        topics.scored: ScoredMention,
        topics.incidents: IncidentEvent,
        topics.queues: QueueItem,
    }
    policy = retry or Retry()

    def handle(records: Sequence[Record]) -> None:
        with timed_batch(STAGE, size=len(records)):
            good: list[_Decoded] = []
            bad: list[tuple[Record, str]] = []
            for record in records:
                try:
                    good.append(_decode(record, models=models))
                except SchemaError as exc:
                    bad.append((record, str(exc)))
            now = clock()
            refused = _store(engine=engine, items=good, now=now, retry=policy, wait=wait)
            for record, error in bad:
                dead_letter(
                    bus=bus, topics=topics, clock=clock, stage=STAGE, record=record, error=error
                )
            for record, error in refused:
                dead_letter(
                    bus=bus,
                    topics=topics,
                    clock=clock,
                    stage=STAGE,
                    record=record,
                    error=error,
                    reason=PROCESSING,
                )
            refused_records = {record for record, _ in refused}
            stored = [item for item in good if item.record not in refused_records]
            _observe(good=stored, dlq=len(bad) + len(refused), now=now)

    return handle


def _store(
    *, engine: Engine, items: list[_Decoded], now: datetime, retry: Retry, wait: Wait
) -> list[tuple[Record, str]]:
    """Write the batch in one transaction; returns the records the store refused."""
    attempt = 0
    while True:
        try:
            _write(engine=engine, items=items, now=now)
            return []
        except _DATA_ERRORS:
            return _write_one_by_one(engine=engine, items=items, now=now)
        except SQLAlchemyError as exc:
            attempt += 1
            if attempt > retry.attempts:
                raise
            delay = retry.delay(attempt)
            PROJECTOR_RETRIES.inc()
            log.debug(
                "projector: database error; retrying",
                error_type=type(exc).__name__,
                attempt=attempt,
                delay_s=delay,
            )
            if wait(delay):
                raise


def _write(*, engine: Engine, items: Sequence[_Decoded], now: datetime) -> None:
    """Mentions, then incident events, then queue items. The order across kinds does not
    change the end state: a tombstone redacts incidents stored before it, and an incident
    event stored after a tombstone is redacted as it is stored."""
    events = [item.event for item in items]
    with Session(engine) as session, session.begin():
        mentions = [e for e in events if isinstance(e, ScoredMention)]
        upsert_mentions(session=session, mentions=mentions, now=now)
        for event in events:
            if isinstance(event, IncidentEvent):
                apply_incident_event(session=session, event=event)
        queued = [e for e in events if isinstance(e, QueueItem)]
        upsert_queue_items(session=session, items=queued)


def _write_one_by_one(
    *, engine: Engine, items: list[_Decoded], now: datetime
) -> list[tuple[Record, str]]:
    """Each record in its own transaction; a transient error still propagates."""
    refused: list[tuple[Record, str]] = []
    for item in items:
        try:
            _write(engine=engine, items=[item], now=now)
        except _DATA_ERRORS as exc:
            reason = str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc)
            refused.append((item.record, f"the store refused it: {reason[:500]}"))
    return refused


def _decode(record: Record, *, models: dict[str, type[Event]]) -> _Decoded:
    """The record's event, or SchemaError when it is malformed or not storable."""
    model = models.get(record.topic)
    if model is None:
        raise SchemaError(f"the projector does not read topic {record.topic!r}")
    event = decode(model, record.value)
    if _maybe_unstorable(record.value):  # the exact walk, only where it can find one
        problem = _unstorable(event.model_dump(mode="json"))
        if problem:
            raise SchemaError(problem)
    return _Decoded(record=record, event=event, event_time=_event_time(event))


def _maybe_unstorable(value: bytes) -> bool:
    if b"\\u0000" in value:
        return True
    shapes = value.translate(_NUMBER_SHAPES)
    return _LONG_NUMBER in shapes or b"0e" in shapes


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
    PROJECTOR_LAST_BATCH.set(now.timestamp())
    if dlq:
        RECORDS.labels(stage=STAGE, outcome="dlq").inc(dlq)
    newest: dict[str, datetime] = {}
    for item in good:
        at = item.event_time
        if at is not None and (item.record.topic not in newest or at > newest[item.record.topic]):
            newest[item.record.topic] = at
    for topic, at in newest.items():
        PROJECTOR_LAG.labels(topic=topic).set(max(0.0, (now - at).total_seconds()))
