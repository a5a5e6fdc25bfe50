"""Helpers for the alerts integration tests: mentions keyed as the scorer publishes them,
reading the incidents topic, waiting on the process, scraping /metrics, and the environment
of an `smileback alerts` process (a fresh database is tests/support/infra.py's, producing is
tests/support/kafka.py's)."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable

import httpx
from kafka import KafkaConsumer, TopicPartition

from smileback.common.errors import SchemaError
from smileback.common.events import Event, IncidentEvent, ScoredMention, decode
from smileback.common.topics import Topics

ROUTING_KEY = "R0UTINGKEYintegration0123456789"


def alerts_env(
    *, bootstrap: str, topics: Topics, database: str, pagerduty_url: str, **more: str
) -> dict[str, str]:
    """An `smileback alerts` of its own consumer group, paging PagerDuty at `pagerduty_url`;
    `more` adds settings (SMILEBACK_ names)."""
    return {
        "SMILEBACK_KAFKA_BOOTSTRAP": bootstrap,
        "SMILEBACK_TOPIC_PREFIX": topics.prefix,
        "SMILEBACK_ALERTS_GROUP": f"alerts-{uuid.uuid4().hex[:8]}",
        "SMILEBACK_ALERTS_DATABASE_URL": database,
        "SMILEBACK_PAGERDUTY_URL": pagerduty_url,
        "SMILEBACK_PAGERDUTY_ROUTING_KEY": ROUTING_KEY,
        **more,
    }


def thread_of(mentions: list[ScoredMention]) -> list[tuple[str, Event | bytes]]:
    """Mentions keyed by thread root, as the scorer publishes them."""
    return [(m.root_id, m) for m in mentions]


class IncidentsReader:
    """Reads a topic-prefix's incidents topic from the start."""

    def __init__(self, bootstrap: str, topics: Topics) -> None:
        self._consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        deadline = time.monotonic() + 30
        while not (parts := self._consumer.partitions_for_topic(topics.incidents)):
            assert time.monotonic() < deadline, "no metadata for the incidents topic"
            time.sleep(0.2)
        tps = [TopicPartition(topics.incidents, p) for p in sorted(parts)]
        self._consumer.assign(tps)
        self._consumer.seek_to_beginning(*tps)
        self.events: list[IncidentEvent] = []

    def poll(self) -> list[IncidentEvent]:
        for records in self._consumer.poll(timeout_ms=300).values():
            for r in records:
                with contextlib.suppress(SchemaError):
                    self.events.append(decode(IncidentEvent, r.value))
        return self.events

    def close(self) -> None:
        self._consumer.close()


def wait_for(
    what: str,
    check: Callable[[], bool],
    *,
    timeout_s: float,
    alive: Callable[[], bool],
    tail: Callable[[], str],
) -> None:
    """Poll `check` until true; fail with the service's log tail when it dies or time runs out."""
    deadline = time.monotonic() + timeout_s
    while not check():
        assert alive(), f"the alerts process died while waiting for {what}\n{tail()}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}\n{tail()}"
        time.sleep(0.2)


def scrape(port: int) -> dict[str, float]:
    """The process's metrics as {'name{labels}': value}."""
    out: dict[str, float] = {}
    for line in httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out
