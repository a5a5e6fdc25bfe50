"""The brand-rules topic read from its start: the current rules, then each change as it comes.

The topic is compacted and keyed by rule id, so its latest record per key is that rule's
state; `fold` turns records into the live rules (pure). `RuleFeed` reads the one partition
with no consumer group: every reader wants the whole state, not a share of it, and has no
offsets to commit. `catch_up` returns once the reader has everything that was on the topic
when it was called, so a process can start matching with the complete set.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

import structlog
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from smileback.common.errors import BusError, SchemaError
from smileback.common.events import BrandRuleEvent, decode
from smileback.common.kafka_security import (
    KafkaSecuritySettings,
    cannot_connect,
    kafka_client_options,
)

__all__ = ["RuleFeed", "fold"]

log = structlog.get_logger(__name__)


def fold(
    rules: Mapping[str, BrandRuleEvent], events: Iterable[BrandRuleEvent]
) -> dict[str, BrandRuleEvent]:
    """The live rules after `events`, in topic order: deleted and disabled rules drop out."""
    live = dict(rules)
    for event in events:
        if event.deleted or not event.enabled:
            live.pop(event.rule_id, None)
        else:
            live[event.rule_id] = event
    return live


class RuleFeed:
    """Reads the brand-rules topic from offset 0; BusError when the broker fails."""

    def __init__(
        self,
        *,
        bootstrap: str,
        topic: str,
        client_id: str,
        bootstrap_timeout_s: float = 30.0,
        security: KafkaSecuritySettings | None = None,
    ) -> None:
        self._partition = TopicPartition(topic, 0)
        try:
            self._consumer = KafkaConsumer(
                bootstrap_servers=bootstrap,
                client_id=client_id,
                group_id=None,
                enable_auto_commit=False,
                bootstrap_timeout_ms=int(bootstrap_timeout_s * 1000),
                **kafka_client_options(security),
            )
            if self._consumer.partitions_for_topic(topic) is None:
                self._consumer.close(autocommit=False)
                raise BusError(f"no topic {topic} at {bootstrap}: create it (kafka.sh topics)")
            self._consumer.assign([self._partition])
            self._consumer.seek_to_beginning(self._partition)
        except KafkaError as exc:
            raise cannot_connect(bootstrap, security, exc) from exc

    def catch_up(self, *, timeout_s: float) -> list[BrandRuleEvent]:
        """Every record up to the topic's end as of now; BusError when that takes too long."""
        deadline = time.monotonic() + timeout_s
        try:
            end = self._consumer.end_offsets([self._partition])[self._partition]
        except KafkaError as exc:
            raise BusError(f"cannot read the end of {self._partition.topic}: {exc}") from exc
        events: list[BrandRuleEvent] = []
        while self._position() < end:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BusError(f"{self._partition.topic} not read to its end in {timeout_s} s")
            events.extend(self.poll(timeout_s=min(remaining, 1.0)))
        return events

    def poll(self, *, timeout_s: float) -> list[BrandRuleEvent]:
        """The records that arrived since the last call, waiting up to `timeout_s` for one."""
        try:
            batches = self._consumer.poll(timeout_ms=int(timeout_s * 1000))
        except KafkaError as exc:
            raise BusError(f"poll of {self._partition.topic} failed: {exc}") from exc
        events: list[BrandRuleEvent] = []
        for records in batches.values():
            for record in records:
                try:
                    events.append(decode(BrandRuleEvent, record.value or b""))
                except SchemaError as exc:
                    # One bad record must not stop every ingest from following rule changes.
                    log.error("brand rule record skipped", offset=record.offset, error=str(exc))
        return events

    def close(self) -> None:
        self._consumer.close(autocommit=False)

    def _position(self) -> int:
        try:
            return int(self._consumer.position(self._partition))
        except KafkaError as exc:
            raise BusError(f"cannot read the position on {self._partition.topic}: {exc}") from exc
