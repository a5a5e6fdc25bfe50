"""Brand-rule changes on the compacted brand-rules topic, where every ingest follows them.

A change is published inside the request's transaction, after the row is flushed and before
the commit, as the responder's incident actions are: when the broker does not take it, the
transaction rolls back and the client gets a 503, so no stored rule is missing from the
topic. The UPDATE or DELETE holds the row lock until the commit, so two changes to one rule
reach the topic in the order they are committed. A commit that fails after a publish leaves
a record the store does not have; `reconcile` at the api's start repairs that, and fills a
fresh topic with the stored rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import structlog
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from smileback.api.context import ApiContext
from smileback.api.errors import ApiError
from smileback.api.publisher import EventPublisher
from smileback.api.store import BrandRuleRow
from smileback.common.clock import Clock
from smileback.common.errors import BusError
from smileback.common.events import BrandRuleEvent
from smileback.common.kafka_security import KafkaSecuritySettings
from smileback.common.rule_feed import RuleFeed, fold

__all__ = ["publish_rule_changes", "reconcile", "republish_rules", "rule_event"]

log = structlog.get_logger(__name__)

_CATCH_UP_S = 30.0


def rule_event(row: BrandRuleRow, *, at: datetime, deleted: bool = False) -> BrandRuleEvent:
    """The topic record of a stored rule's state."""
    return BrandRuleEvent(rule_id=row.id, brand=row.brand, query=row.query, deleted=deleted, at=at)


def publish_rule_changes(context: ApiContext, events: Sequence[BrandRuleEvent]) -> None:
    """Publish before the commit; a 503 (rolling the transaction back) when the bus fails."""
    if context.publisher is None or not events:
        return
    try:
        context.publisher.publish_rules(events)
    except BusError as exc:
        log.error("could not publish brand rule changes", error=str(exc))
        raise ApiError(
            status=503, code="unavailable", message="the event bus is unavailable"
        ) from exc


def reconcile(
    *, session: Session, on_topic: Mapping[str, BrandRuleEvent], at: datetime
) -> list[BrandRuleEvent]:
    """What to publish so the topic's live rules are the stored ones (`on_topic`: its live
    rules now): each stored rule the topic lacks or has otherwise, a deletion for the rest."""
    stored = {row.id: row for row in session.scalars(select(BrandRuleRow))}
    changes = [
        rule_event(row, at=at)
        for rule_id, row in stored.items()
        if rule_id not in on_topic
        or (on_topic[rule_id].brand, on_topic[rule_id].query) != (row.brand, row.query)
    ]
    changes.extend(
        event.model_copy(update={"deleted": True, "at": at})
        for rule_id, event in on_topic.items()
        if rule_id not in stored
    )
    return changes


def republish_rules(
    *,
    engine: Engine,
    publisher: EventPublisher,
    bootstrap: str,
    topic: str,
    clock: Clock,
    security: KafkaSecuritySettings | None = None,
) -> int:
    """Bring the topic's live rules in line with the store; how many records that took.

    BusError when the broker fails: the api then serves anyway, and the next start repairs.
    """
    feed = RuleFeed(
        bootstrap=bootstrap, topic=topic, client_id="smileback-api-rules", security=security
    )
    try:
        on_topic = fold({}, feed.catch_up(timeout_s=_CATCH_UP_S))
    finally:
        feed.close()
    with Session(engine) as session:
        changes = reconcile(session=session, on_topic=on_topic, at=clock())
    publisher.publish_rules(changes)
    return len(changes)
