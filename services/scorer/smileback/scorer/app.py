"""The scorer as a faust-streaming app for cluster mode: two agents, three changelogged tables.

    mentions.raw ──(key: thread root)──▶ agent `score`: decode, text scores per batch, reach,
        │                                  thread state (table `threads`)
        │                        ┌─────────(key: brand)── <app id>-mentions-by-brand
        ▼                        ▼
    dlq              agent `brand`: brand baseline (table `brands`), author state
                                   (table `authors`) ──(key: thread root)──▶ mentions.scored

Thread state lives where the mentions are keyed by thread root. A brand's mentions come
from every root partition, so the thread step re-keys each mention by brand onto the
scorer's own by-brand topic (4 partitions); the brand agent reads it, so each brand's
baseline and its authors' state have exactly one writer: the worker that owns the key's
by-brand partition. A mention whose by-brand partition is this worker's own skips the topic:
the thread step hands it to the brand step in the same batch (batches.BrandHop; with one
worker, every mention). Tombstones and mentions without a brand skip the hop too.

All three tables are changelog-backed: a restarted or rebalanced worker recovers them
before it processes its partitions again (plus a warm standby copy on another worker,
`scorer_standby_replicas`). They live in RocksDB in the worker's own data
dir (storage.py), and keys idle past their table's horizon are deleted (expiring.py).

The thread step sends a brand's mentions of one batch as a few `StagedBatch` records, so
the hop costs a few records per batch, not one per mention. While the brand step has
PAUSE_BATCHES batches' worth waiting, the worker hands out no raw records (flow.py), so
behind a backlog the thread step cannot run ahead of it.

Processing semantics (at-least-once, made effectively-once for state by the cores' seen-id
checks): each agent reads batches with `take_events`, sets each event current while it
updates that event's state, writes the tables back once per batch (batches.py), sends what
the batch produced, then counts the batch's offsets in the offset ledger (commits.py,
offsets.py). Faust flushes its producer (outputs and changelog writes alike) before it
commits the ledger's commit points. A crash before the commit re-delivers the batch: its
outputs may be sent twice, its state is not counted twice.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, cast

import faust
import structlog
from faust.types import TP
from kafka.errors import KafkaError

from smileback.common.bus import Bus, Consumer
from smileback.common.clock import Clock, utc_now
from smileback.common.errors import BusError
from smileback.common.health import Health, serve_health
from smileback.common.kafka_security import faust_credentials
from smileback.common.lag import CONSUMER, ConsumerWatch
from smileback.common.lifecycle import stop_on_signals
from smileback.common.logging import configure_logging
from smileback.common.probes import KafkaProbe
from smileback.common.supervise import KAFKA, supervise
from smileback.common.topics import Topics
from smileback.scorer.authors import AuthorState
from smileback.scorer.baseline import BrandState
from smileback.scorer.batches import Batches, BrandHop
from smileback.scorer.commits import (
    RETRY_S,
    LedgerConsumer,
    ScorerApp,
    ledger_of,
    seek_back,
    stream_lag,
)
from smileback.scorer.expiring import expiring_table
from smileback.scorer.expiry import AUTHORS, BRANDS, THREADS
from smileback.scorer.factory import default_pipeline
from smileback.scorer.flow import BACKLOG_BATCHES, PAUSE_BATCHES, BrandFirst, steer
from smileback.scorer.metrics import PARTITIONS
from smileback.scorer.pipeline import MAX_STAGED_PER_RECORD, ScoringPipeline
from smileback.scorer.provision import by_brand_topic, ensure_topics, own_topics, seed_offsets
from smileback.scorer.sending import BrandPartitions, send_batches, send_changelogs
from smileback.scorer.settings import ScorerSettings
from smileback.scorer.shard_view import BrandShardView
from smileback.scorer.storage import store_url, table_options, worker_data_dir
from smileback.scorer.tables import Changelogs
from smileback.scorer.threads import ThreadState
from smileback.scorer.worker import ScorerWorker

__all__ = ["Outbox", "Outgoing", "app_id_of", "create_app", "run"]

log = structlog.get_logger(__name__)

_BEAT_S = 1.0  # liveness heartbeat from the event loop
_WATCH_S = 5.0  # how often Kafka is probed for readiness
_LAG_S = 5.0  # how often the consumer lag gauges are set
# How often the brand step's waiting records are weighed (flow.py): a switch between the
# steps noticed late leaves the worker idle that long.
_STEER_S = 0.02


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


def app_id_of(settings: ScorerSettings) -> str:
    """The Faust app id: the setting, else "<topic prefix>scorer", so a prefix isolates it all."""
    return settings.scorer_app_id or f"{settings.topic_prefix}scorer"


def create_app(
    *,
    settings: ScorerSettings,
    pipeline: ScoringPipeline | None = None,
    clock: Clock = utc_now,
    health: Health | None = None,
    datadir: Path | None = None,
) -> faust.App:
    """The Faust app: raw mentions in, scored mentions and DLQ records out, state in tables.

    With `health`, a timer on the app's event loop beats it: the worker is live while its
    loop turns, whatever the metrics thread does; it is ready while it owns stream
    partitions and a timer on the same loop keeps reading their lag. `datadir` is where
    Faust keeps the tables of the RocksDB store (none: a directory under the system temp
    dir named after the app).
    """
    topics = Topics(prefix=settings.topic_prefix)
    partitions = topics.all()
    app_id = app_id_of(settings)
    app = ScorerApp(
        app_id,
        broker=[f"kafka://{host.strip()}" for host in settings.kafka_bootstrap.split(",")],
        broker_credentials=faust_credentials(settings),
        store=store_url(settings),
        # Out of the working directory; `run` gives each worker its own (see storage.py).
        datadir=str(datadir or Path(tempfile.gettempdir()) / f"{app_id}-data"),
        autodiscover=False,
        web_enabled=False,  # /metrics is served by prometheus_client instead
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        # Fewer, larger produce requests: one batch sends hundreds of ~1 KB records.
        producer_max_batch_size=512 * 1024,
        producer_linger=0.005,
        # Faust declares no topic: the shared ones exist already, and `run` creates the
        # scorer's own (by-brand, changelogs) before the worker starts (see provision.py).
        topic_allow_declare=False,
        topic_disable_leader=True,
        topic_partitions=partitions[topics.raw],
        topic_replication_factor=settings.scorer_topic_replicas,
        table_standby_replicas=settings.scorer_standby_replicas,
        broker_session_timeout=settings.scorer_session_timeout_s,
        broker_heartbeat_interval=settings.scorer_heartbeat_interval_s,
        broker_commit_interval=settings.scorer_commit_interval_s,
        # A batch's worth a poll: Faust hands a poll's records to the agents one by one
        # before it polls again, so under live traffic a larger poll makes the by-brand
        # records fetched meanwhile wait behind more raw ones (behind a backlog flow.py
        # keeps them from waiting long).
        broker_max_poll_records=settings.scorer_batch_size,
    )

    # Table writes queue in the producer's buffer until sent; past `max_messages` (100) Faust
    # pauses the stream to drain it and logs a warning. A batch writes up to three states per
    # mention, so let the buffer hold a few batches' worth.
    app.producer.buffer.max_messages = 4 * settings.scorer_batch_size

    def topic(name: str) -> faust.TopicT:
        return app.topic(
            name,
            key_serializer="raw",
            value_serializer="raw",
            partitions=partitions[name],
            internal=False,
        )

    by_brand_name = by_brand_topic(app_id)
    partitions[by_brand_name] = partitions[topics.raw]
    sinks = {name: topic(name) for name in (topics.scored, topics.dlq, by_brand_name)}
    by_brand = sinks[by_brand_name]
    count, options = partitions[topics.raw], table_options(settings)
    changelogs = Changelogs()
    table = partial(expiring_table, app, partitions=count, options=options, changelogs=changelogs)
    threads = table(name="threads", model=ThreadState, expiry=THREADS)
    brands = table(name="brands", model=BrandState, expiry=BRANDS)
    authors = table(name="authors", model=AuthorState, expiry=AUTHORS)
    scoring = pipeline or default_pipeline()
    size, within = settings.scorer_batch_size, settings.scorer_batch_within_s

    shards = settings.scorer_brand_shards
    view = (
        BrandShardView(
            bootstrap=settings.kafka_bootstrap,
            topic=brands.changelog_topic_name,
            shards=shards,
            security=settings,
        )
        if shards > 1
        else None
    )
    siblings = view.siblings if view is not None else None
    partition_of = BrandPartitions(count=partitions[by_brand_name])

    async def send(outbox: Outbox) -> None:
        # The batch's table writes first, then what it produced.
        await send_changelogs(app.producer, changelogs)
        scored: list[tuple[bytes, bytes]] = []
        for out in outbox.drain():
            if out.topic == topics.scored and out.key is not None:  # each keyed by its root
                scored.append((out.key.encode("utf-8"), out.value))
                continue
            if out.topic == by_brand_name:
                assert out.key is not None  # every by-brand record is keyed by its brand
                pending = await by_brand.send(
                    key=out.key.encode("utf-8"), value=out.value, partition=partition_of(out.key)
                )
                _note_written(app, pending)
                continue
            key = out.key.encode("utf-8") if out.key is not None else None
            await sinks[out.topic].send(key=key, value=out.value)
        if scored:
            await send_batches(app.producer, topics.scored, scored)

    score_out = Outbox()
    thread_batches = Batches(
        bus=score_out, topics=topics, clock=clock, pipeline=scoring, brand_shards=shards
    )

    @app.agent(topic(topics.raw))
    async def score(stream: faust.StreamT[bytes]) -> None:
        async for events in cast(faust.Stream[bytes], stream).take_events(size, within):
            owned = {
                tp.partition for tp in app.assignor.assigned_actives() if tp.topic == by_brand_name
            }
            hop = BrandHop(topic=by_brand_name, partition_of=partition_of, owned=owned.__contains__)
            thread_batches.threads(
                events, threads=threads, hop=hop, brands=brands, authors=authors, siblings=siblings
            )
            await send(score_out)
            _processed(app, events)

    brand_out = Outbox()
    brand_batches = Batches(
        bus=brand_out, topics=topics, clock=clock, pipeline=scoring, brand_shards=shards
    )

    # A by-brand record holds up to MAX_STAGED_PER_RECORD mentions: take about `size` of them.
    records = max(1, size // MAX_STAGED_PER_RECORD)

    @app.agent(by_brand)
    async def brand(stream: faust.StreamT[bytes]) -> None:
        async for events in cast(faust.Stream[bytes], stream).take_events(records, within):
            brand_batches.brands(events, brands=brands, authors=authors, siblings=siblings)
            await send(brand_out)
            _processed(app, events)

    if view is not None:
        shard_view = view

        async def follow_brand_shards() -> None:
            shard_view.start()

        app.task(follow_brand_shards)

        @app.on_before_shutdown.connect
        async def stop_following(*_: Any, **__: Any) -> None:
            shard_view.stop()

    async def reread_holes() -> None:
        try:
            await seek_back(app)
        except Exception as exc:  # a failed re-read is tried again on the next tick
            log.warning("scorer re-read failed", error=repr(exc))

    app.timer(RETRY_S)(reread_holes)

    watch = ConsumerWatch(group=app_id)

    def read_lag() -> dict[tuple[str, int], int] | None:
        try:
            return stream_lag(app)
        except Exception as exc:  # e.g. a partition revoked meanwhile; read again next tick
            log.debug("scorer lag not read", error=repr(exc))
            return None

    async def report_lag() -> None:
        lag = read_lag()
        if lag is not None:
            watch.show(lag)

    app.timer(interval=_LAG_S)(report_lag)

    gate = BrandFirst(pause_at=PAUSE_BATCHES * records, resume_at=records)

    async def brand_first() -> None:
        lag, consumer = read_lag(), app.consumer
        if lag is not None and isinstance(consumer, LedgerConsumer):
            steer(
                consumer,
                gate=gate,
                lag=lag,
                raw=topics.raw,
                by_brand=by_brand_name,
                backlog_at=BACKLOG_BATCHES * size,
            )

    app.timer(interval=_STEER_S)(brand_first)

    if health is not None:
        beating = health
        # Ready once the worker owns partitions and its loop keeps reading their lag.
        health.require(CONSUMER, watch.problem)

        async def heartbeat() -> None:
            beating.beat()

        app.timer(interval=_BEAT_S)(heartbeat)

    @app.on_partitions_revoked.connect
    async def on_revoked(*_: Any, **__: Any) -> None:
        PARTITIONS.set(0)
        watch.show({})

    @app.on_rebalance_complete.connect
    async def on_ready(*_: Any, **__: Any) -> None:
        owned = [tp for tp in app.consumer.assignment() if tp.topic == topics.raw]
        PARTITIONS.set(len(owned))
        log.info("scorer partitions ready", partitions=sorted(tp.partition for tp in owned))

    return app


def run(*, settings: ScorerSettings) -> None:
    """Run the scorer worker until SIGTERM/SIGINT, serving /metrics, /healthz and /readyz on
    the metrics port. Faust rides out broker outages itself (aiokafka reconnects and rejoins);
    a watch thread probes Kafka for readiness, and a broker that is away at start is waited
    for."""
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    health = Health(needs=[KAFKA])
    serve_health(health=health, port=settings.metrics_port, host=settings.metrics_host)
    topics = Topics(prefix=settings.topic_prefix)
    probe = KafkaProbe(
        bootstrap=settings.kafka_bootstrap,
        topics=[topics.raw, topics.scored, by_brand_topic(app_id_of(settings))],
        client_id="smileback-scorer-readiness",
        security=settings,
    )
    # Never set: the watch ends with the process (its thread is a daemon).
    health.watch({KAFKA: probe}, every_s=_WATCH_S, stop=threading.Event())
    with worker_data_dir(settings, app_id=app_id_of(settings)) as datadir:
        _work(settings=settings, health=health, datadir=datadir)


def _work(*, settings: ScorerSettings, health: Health, datadir: Path) -> None:
    """Prepare Kafka, then run the Faust worker until it stops."""
    topics = Topics(prefix=settings.topic_prefix)
    app = create_app(settings=settings, health=health, datadir=datadir)
    stop = stop_on_signals()
    supervise(work=lambda _: _prepare_kafka(settings=settings, app=app), stop=stop, health=health)
    if stop.is_set():
        return
    # override_logging=False keeps our JSON logging instead of mode's own setup; quiet and no
    # spinner keep Faust's terminal banner and progress characters out of the JSON log stream.
    worker = ScorerWorker(
        app,
        stop_within_s=settings.scorer_stop_within_s,
        loglevel=settings.log_level.lower(),
        override_logging=False,
        quiet=True,
    )
    worker.spinner = None
    log.info(
        "scorer starting",
        app_id=app_id_of(settings),
        bootstrap=settings.kafka_bootstrap,
        source=topics.raw,
        sink=topics.scored,
        batch_size=settings.scorer_batch_size,
        store=settings.scorer_store,
        datadir=str(datadir),
    )
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:  # the worker always exits; a clean stop is not an error
        if exc.code not in (None, 0):
            raise


def _prepare_kafka(*, settings: ScorerSettings, app: faust.App) -> None:
    """The scorer's own topics and its group's first offsets, before the worker starts."""
    topics = Topics(prefix=settings.topic_prefix)
    try:
        ensure_topics(
            bootstrap=settings.kafka_bootstrap,
            topics=own_topics(app),
            replicas=settings.scorer_topic_replicas,
            security=settings,
        )
        seed_offsets(
            bootstrap=settings.kafka_bootstrap,
            group=app.conf.id,
            topics={
                name: app.conf.topic_partitions
                for name in (topics.raw, by_brand_topic(app.conf.id))
            },
            security=settings,
        )
    except KafkaError as exc:
        raise BusError(f"cannot prepare Kafka for the scorer: {exc}") from exc


def _note_written(app: faust.App, pending: object) -> None:
    """Learn where a by-brand partition ends from a send, once the broker has it, before
    any fetch says so (flow.py). Faust hands back the send's future (a test's stand-in
    sender may not)."""
    consumer = app.consumer
    if isinstance(consumer, LedgerConsumer) and isinstance(pending, asyncio.Future):
        pending.add_done_callback(consumer.written.note)


def _processed(app: faust.App, events: Sequence[faust.EventT[bytes]]) -> None:
    """Count a batch's records as processed once its outputs are with the producer (the
    producer is flushed before any commit)."""
    ledger = ledger_of(app)
    if ledger is None:
        return
    offsets: defaultdict[TP, list[int]] = defaultdict(list)
    for event in events:
        offsets[event.message.tp].append(event.message.offset)
    now = time.monotonic()
    for tp, batch in offsets.items():
        ledger.processed(tp, batch, now=now)
