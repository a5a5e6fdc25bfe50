"""Write one batch's outputs: publish its events (flushed), then store the changed incidents,
the surge rule's changed complaints, redactions and new outbox rows in one database
transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from smileback.alerts.incidents import ComplaintChanges, Incident, incident_event
from smileback.alerts.outbox import (
    ComplaintStore,
    IncidentStore,
    OutboxItem,
    OutboxStore,
    WaitingStore,
)
from smileback.common.bus import Bus
from smileback.common.clock import Clock
from smileback.common.dlq import DELIVERY, send_to_dlq
from smileback.common.events import IncidentEvent, IncidentEventType, QueueItem, encode
from smileback.common.topics import Topics

__all__ = ["Batch", "BatchWriter"]


@dataclass
class Batch:
    """What handling some records or one tick produced."""

    events: list[IncidentEvent] = field(default_factory=list)
    queue: list[QueueItem] = field(default_factory=list)
    items: list[OutboxItem] = field(default_factory=list)
    redacted: list[str] = field(default_factory=list)  # deleted mention ids
    waiting: list[QueueItem] = field(default_factory=list)  # read from the queues topic


def _nothing() -> None:
    pass


class BatchWriter:
    """Publishes before it stores: a crash in between replays to the same event ids."""

    def __init__(
        self,
        *,
        engine: Engine,
        bus: Bus,
        topics: Topics,
        clock: Clock,
        outbox: OutboxStore,
        outbox_written: Callable[[], None] = _nothing,
    ) -> None:
        """`outbox_written` is called after a commit stored outbox rows (to wake the sender)."""
        self._engine, self._bus, self._topics, self._clock = engine, bus, topics, clock
        self._outbox, self._outbox_written = outbox, outbox_written
        self._state = IncidentStore(engine)
        self._complaints = ComplaintStore(engine)
        self._waiting = WaitingStore(engine)

    def commit(
        self, batch: Batch, *, incidents: Sequence[Incident], complaints: ComplaintChanges
    ) -> None:
        """Publish the batch's events and queue items, then store everything else at once."""
        for event in batch.events:
            self._bus.publish(self._topics.incidents, key=event.incident_id, value=encode(event))
        for item in batch.queue:
            self._bus.publish(self._topics.queues, key=item.mention_id, value=encode(item))
        if batch.events or batch.queue:
            self._bus.flush()
        if not (incidents or complaints or batch.items or batch.redacted or batch.waiting):
            return
        now = self._clock()
        with Session(self._engine) as session, session.begin():
            for mention_id in batch.redacted:
                self._outbox.redact(session, mention_id=mention_id)
                self._state.redact_resolved(session, mention_id=mention_id)
                self._waiting.forget(session, mention_id=mention_id)
            self._waiting.save(session, items=batch.waiting)
            self._state.save(session, incidents=incidents, now=now)
            self._complaints.save(session, changes=complaints)
            self._outbox.enqueue(session, items=batch.items, now=now)
        if batch.items:
            self._outbox_written()

    def report_dead_letters(self, *, stage: str) -> None:
        """Put dead letters not yet reported on the DLQ topic, with their stored JSON."""
        dead = self._outbox.unreported_dead()
        for _, incident_id, target, error, payload in dead:
            send_to_dlq(
                bus=self._bus,
                topics=self._topics,
                clock=self._clock,
                stage=stage,
                error=f"{target}: {error}",
                raw=payload.encode("utf-8"),
                source_id=incident_id,
                topic=self._topics.incidents,
                reason=DELIVERY,
            )
        if dead:
            self._bus.flush()
            self._outbox.mark_reported(row_ids=[d[0] for d in dead])

    def report_pages(self, *, find: Callable[[str], Incident | None]) -> None:
        """Publish the page outcomes the sender stored as `notified` events of their incident
        (`find` gives one the book holds; others are read from the database)."""
        pages = self._outbox.unreported_pages()
        for outcome_id, incident_id, delivery in pages:
            inc = find(incident_id) or self._state.get(incident_id)
            if inc is None:
                continue  # its state is gone: nothing to attach the outcome to
            event = incident_event(
                inc,
                IncidentEventType.NOTIFIED,
                mention_id=inc.summary_mention_id,
                now=delivery.at,
                event_id=f"{incident_id}:notified:{outcome_id}",
                level=delivery.level,
                delivery=delivery,
            )
            self._bus.publish(self._topics.incidents, key=incident_id, value=encode(event))
        if pages:
            self._bus.flush()
            self._outbox.mark_pages_reported(ids=[p[0] for p in pages])
