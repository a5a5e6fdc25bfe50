"""The scorer as a faust-streaming app for cluster mode.

The agent runs the same handler as the embedded demo: the handler publishes to
an Outbox, and the agent sends what it collected through Faust's producer.
Faust flushes that producer before it commits offsets, and `take_events` acks a
batch only after the loop body returns, so delivery is at-least-once.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import faust
import structlog

from smileback.common.bus import Bus, Consumer, Record
from smileback.common.clock import Clock, utc_now
from smileback.common.logging import configure_logging
from smileback.common.metrics import serve_metrics
from smileback.common.settings import Settings
from smileback.common.topics import Topics
from smileback.scorer.factory import default_pipeline
from smileback.scorer.handler import make_handler
from smileback.scorer.pipeline import ScoringPipeline

__all__ = ["APP_ID", "Outbox", "Outgoing", "create_app", "run"]

APP_ID = "smileback-scorer"

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """One record the handler published."""

    topic: str
    key: str | None
    value: bytes


class Outbox(Bus):
    """A Bus that only collects what is published, for an async sender to drain."""

    def __init__(self) -> None:
        self._items: list[Outgoing] = []

    def publish(self, topic: str, *, key: str | None, value: bytes) -> None:
        self._items.append(Outgoing(topic, key, value))

    def flush(self, timeout_s: float | None = None) -> None:
        """The sender owns delivery; nothing is in flight here."""

    def consumer(self, topics: Sequence[str], *, group: str) -> Consumer:
        raise NotImplementedError("an Outbox only collects published records")

    def close(self) -> None:
        self._items.clear()

    def drain(self) -> list[Outgoing]:
        """Everything published since the last drain, in order."""
        items, self._items = self._items, []
        return items


def create_app(
    *,
    settings: Settings,
    app_id: str = APP_ID,
    pipeline: ScoringPipeline | None = None,
    clock: Clock = utc_now,
) -> faust.App:
    """A Faust app reading raw mentions in batches and writing scored ones and DLQ records."""
    topics = Topics(prefix=settings.topic_prefix)
    partitions = topics.all()
    app = faust.App(
        app_id,
        broker=[f"kafka://{host.strip()}" for host in settings.kafka_bootstrap.split(",")],
        store="memory://",
        # Nothing durable lives in Faust's data dir while the store is in memory: keep it out
        # of the working directory.
        datadir=str(Path(tempfile.gettempdir()) / f"{app_id}-data"),
        autodiscover=False,
        web_enabled=False,  # /metrics is served by prometheus_client instead
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        # The topics exist already with their own partition counts; Faust must not create any.
        topic_allow_declare=False,
        topic_disable_leader=True,
        topic_partitions=partitions[topics.raw],
    )

    def topic(name: str) -> faust.TopicT:
        return app.topic(
            name,
            key_serializer="raw",
            value_serializer="raw",
            partitions=partitions[name],
            internal=False,
        )

    source = topic(topics.raw)
    sinks = {name: topic(name) for name in (topics.scored, topics.dlq)}
    outbox = Outbox()
    handle = make_handler(
        bus=outbox, topics=topics, pipeline=pipeline or default_pipeline(), clock=clock
    )

    @app.agent(source)
    async def score(stream: faust.StreamT[bytes]) -> None:
        batches = cast(faust.Stream[bytes], stream).take_events(
            settings.scorer_batch_size, within=settings.scorer_batch_within_s
        )
        async for events in batches:
            handle([_record(event) for event in events])
            for out in outbox.drain():
                key = out.key.encode("utf-8") if out.key is not None else None
                await sinks[out.topic].send(key=key, value=out.value)

    return app


def run(*, settings: Settings, app_id: str = APP_ID) -> None:
    """Run the scorer worker until SIGTERM/SIGINT, serving /metrics on the metrics port."""
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    serve_metrics(port=settings.metrics_port, host=settings.metrics_host)
    app = create_app(settings=settings, app_id=app_id)
    # override_logging=False keeps our JSON logging instead of mode's own setup; quiet and no
    # spinner keep Faust's terminal banner and progress characters out of the JSON log stream.
    worker = faust.Worker(
        app, loglevel=settings.log_level.lower(), override_logging=False, quiet=True
    )
    worker.spinner = None
    topics = Topics(prefix=settings.topic_prefix)
    log.info(
        "scorer starting",
        app_id=app_id,
        bootstrap=settings.kafka_bootstrap,
        source=topics.raw,
        sink=topics.scored,
        batch_size=settings.scorer_batch_size,
    )
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:  # the worker always exits; a clean stop is not an error
        if exc.code not in (None, 0):
            raise


def _record(event: faust.EventT[bytes]) -> Record:
    """A Faust event as a bus Record."""
    message = event.message
    key = cast(bytes | None, event.key)
    value = cast(bytes | None, event.value)
    return Record(message.topic, message.partition, message.offset, key, value or b"")
