"""Publishes the responder's incident events, queue closures and brand-rule changes, one at
a time."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from smileback.common.bus import Bus
from smileback.common.events import BrandRuleEvent, IncidentEvent, QueueItem, encode
from smileback.common.topics import Topics

__all__ = ["EventPublisher"]


class EventPublisher:
    """Sends an event keyed by its incident and waits until the bus has it (BusError if not)."""

    def __init__(self, *, bus: Bus, topics: Topics, timeout_s: float = 10.0) -> None:
        self._bus = bus
        self._topics = topics
        self._timeout_s = timeout_s
        # Request threads share the bus; its flush covers everything queued, so one at a time.
        self._lock = threading.Lock()

    def publish(self, event: IncidentEvent) -> None:
        """Publish and flush; raises BusError when the broker did not take it."""
        with self._lock:
            self._bus.publish(self._topics.incidents, key=event.incident_id, value=encode(event))
            self._bus.flush(self._timeout_s)

    def publish_queue(self, item: QueueItem) -> None:
        """Publish a queue entry's state keyed by its mention and flush; BusError if not."""
        with self._lock:
            self._bus.publish(self._topics.queues, key=item.mention_id, value=encode(item))
            self._bus.flush(self._timeout_s)

    def publish_rules(self, events: Sequence[BrandRuleEvent]) -> None:
        """Publish rule states keyed by rule id and flush; BusError when the broker did not."""
        with self._lock:
            for event in events:
                self._bus.publish(self._topics.brand_rules, key=event.rule_id, value=encode(event))
            self._bus.flush(self._timeout_s)
