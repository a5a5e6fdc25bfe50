"""The brand states of a brand's other shards, for the brand step's readings (shards.py).

A worker owns only some by-brand partitions, so the other shards of a brand it counts may be
written by other workers. Every write of a brand state goes to the `brands` table's
changelog, so this view follows that changelog, all of its partitions, from a thread of its
own (a plain consumer outside the group: it takes no partitions from anyone), and keeps the
latest state of every key: a tombstone (an expired key) removes it. It starts from the
beginning of the compacted topic, so it knows every shard's state soon after a start.

What a reading gets is each other shard as of the last changelog record this view has read:
behind the shard's writer by the time a record takes to be sent and fetched (well under a
second unless the broker is slow), which an hourly count against a twelve-hour baseline does
not feel. A Faust GlobalTable would hold the same, but Faust's global tables recover and
stand by through paths of their own that this scorer does not otherwise use; this view
needs no more than a read of one topic.
"""

from __future__ import annotations

import json
import threading

import structlog
from kafka import KafkaConsumer, TopicPartition
from pydantic import ValidationError

from smileback.common.kafka_security import KafkaSecuritySettings, kafka_client_options
from smileback.scorer.baseline import BrandState
from smileback.scorer.shards import sibling_keys

__all__ = ["BrandShardView"]

log = structlog.get_logger(__name__)

_POLL_MS = 200
_RETRY_S = 2.0


class BrandShardView:
    """The latest state of every brand-state key, read from the `brands` changelog."""

    def __init__(
        self,
        *,
        bootstrap: str,
        topic: str,
        shards: int,
        security: KafkaSecuritySettings | None = None,
    ) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._shards = shards
        self._security = security
        self._states: dict[str, BrandState] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def siblings(self, key: str) -> list[BrandState]:
        """The states of the other shards of `key`'s brand that the view knows."""
        found = (self._states.get(other) for other in sibling_keys(key, shards=self._shards))
        return [state for state in found if state is not None]

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        """Take one changelog record: a key's new state, or its tombstone."""
        if key is None:
            return
        try:
            name = json.loads(key)
            if not isinstance(name, str):
                raise ValueError(f"key is {type(name).__name__}, not a string")
            if value is None:
                self._states.pop(name, None)
                return
            self._states[name] = BrandState.model_validate_json(value)
        except (ValueError, ValidationError) as exc:  # not a record of ours: skip it
            log.warning("brand shard record skipped", topic=self._topic, error=str(exc))

    def start(self) -> None:
        """Follow the changelog from its beginning in a daemon thread, until `stop`."""
        self._thread = threading.Thread(target=self._follow, name="brand-shards", daemon=True)
        self._thread.start()

    def running(self) -> bool:
        """Whether the thread follows the changelog (or waits to try again)."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Tell the thread to end, and give it a moment: it ends after its current poll, or
        once a call to a broker that is away gives up. A stopping worker does not wait for
        that (the thread is a daemon)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=_POLL_MS / 1000 * 2)

    def _follow(self) -> None:
        # A broker that is away is waited for: the view only falls behind meanwhile.
        while not self._stop.is_set():
            try:
                self._read_until_stopped()
            except Exception as exc:
                log.warning("brand shard view interrupted", topic=self._topic, error=repr(exc))
                self._stop.wait(_RETRY_S)

    def _read_until_stopped(self) -> None:
        consumer = KafkaConsumer(
            bootstrap_servers=self._bootstrap,
            enable_auto_commit=False,
            client_id="smileback-scorer-brand-shards",
            **kafka_client_options(self._security),
        )
        try:
            partitions = consumer.partitions_for_topic(self._topic)
            if not partitions:
                raise RuntimeError(f"topic {self._topic} not found")
            parts = [TopicPartition(self._topic, p) for p in sorted(partitions)]
            consumer.assign(parts)
            consumer.seek_to_beginning(*parts)
            while not self._stop.is_set():
                for records in consumer.poll(timeout_ms=_POLL_MS).values():
                    for record in records:
                        self.apply(record.key, record.value)
        finally:
            consumer.close()
