"""The alerts stage: scored mentions in; incident events, queue items and pages out."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import structlog

from smileback.alerts.delivery import deliver
from smileback.alerts.incidents import IncidentBook
from smileback.alerts.metrics import DECISIONS, PAGES
from smileback.alerts.notifiers import Notifier, Page
from smileback.alerts.policy import PolicyConfig, classify
from smileback.common.bus import Bus, Record
from smileback.common.clock import Clock
from smileback.common.dlq import dead_letter, send_to_dlq
from smileback.common.errors import SchemaError
from smileback.common.events import (
    IncidentEvent,
    IncidentEventType,
    QueueItem,
    ScoredMention,
    decode,
    encode,
)
from smileback.common.loop import Handler
from smileback.common.metrics import RECORDS, STAGE_SECONDS
from smileback.common.topics import Topics

__all__ = ["NOTIFY_STAGE", "STAGE", "make_handler"]

STAGE = "alerts"
NOTIFY_STAGE = "alerts.notify"

log = structlog.get_logger(__name__)


def make_handler(
    *,
    bus: Bus,
    topics: Topics,
    clock: Clock,
    config: PolicyConfig,
    book: IncidentBook,
    notifier: Notifier,
    sleep: Callable[[float], None] = time.sleep,
    attempts: int = 5,
    backoff_s: float = 0.5,
) -> Handler:
    """A batch handler for the scored-mentions topic."""

    def send_page(event: IncidentEvent) -> None:
        page = Page.of(event)
        if deliver(
            notifier=notifier, page=page, attempts=attempts, backoff_s=backoff_s, sleep=sleep
        ):
            PAGES.labels(outcome="delivered").inc()
            return
        PAGES.labels(outcome="dead_lettered").inc()
        # Kept on the DLQ as replayable page JSON until the persisted outbox exists.
        send_to_dlq(
            bus=bus,
            topics=topics,
            clock=clock,
            stage=NOTIFY_STAGE,
            error=f"{notifier.name} notifier failed {attempts} attempt(s)",
            raw=page.to_json(),
            source_id=page.incident_id,
            topic=topics.incidents,
        )

    def handle_one(record: Record) -> None:
        try:
            mention = decode(ScoredMention, record.value)
        except SchemaError as exc:
            RECORDS.labels(stage=STAGE, outcome="dlq").inc()
            dead_letter(
                bus=bus, topics=topics, clock=clock, stage=STAGE, record=record, error=str(exc)
            )
            return
        decision = classify(mention=mention, config=config)
        DECISIONS.labels(action=str(decision.action)).inc()
        now = clock()
        events = book.apply(mention=mention, decision=decision, now=now)
        for event in events:
            bus.publish(topics.incidents, key=event.incident_id, value=encode(event))
        queue = decision.queue
        if queue is not None:
            item = QueueItem(
                mention_id=mention.id,
                brand=mention.brand,
                queue=queue,
                reason=decision.reason,
                at=now,
            )
            bus.publish(topics.queues, key=mention.id, value=encode(item))
        for event in events:
            if event.type is IncidentEventType.PAGED:
                send_page(event)
        RECORDS.labels(stage=STAGE, outcome="ok").inc()

    def handle(records: Sequence[Record]) -> None:
        with STAGE_SECONDS.labels(stage=STAGE).time():
            for record in records:
                handle_one(record)

    return handle
