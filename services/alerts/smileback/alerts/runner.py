"""The `smileback alerts` process: load and check the config, then consume, tick and send.

The consumer loop (main thread) handles scored mentions and human actions and runs the
escalation/auto-resolve tick; a sender thread delivers the outbox, woken as soon as the loop
stores a page; a watch thread probes Kafka and the database for readiness, which also asks
whether the loop's consumer owns partitions and polls them (its liveness: the loop beats).
SIGTERM stops them all.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TextIO

import structlog
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from smileback.alerts.notifiers import Notifier, notifiers_from_settings
from smileback.alerts.outbox import OutboxSender, OutboxStore, make_engine
from smileback.alerts.paging import Paging
from smileback.alerts.policy import Policy, brand_handles, load_policy
from smileback.alerts.service import AlertsService
from smileback.alerts.settings import AlertsSettings
from smileback.common.backoff import Backoff
from smileback.common.bus import Bus
from smileback.common.clock import utc_now
from smileback.common.errors import BusError, ConfigError
from smileback.common.health import Health, serve_health
from smileback.common.kafka_bus import KafkaBus
from smileback.common.lag import CONSUMER, ConsumerWatch
from smileback.common.lifecycle import stop_on_signals
from smileback.common.logging import configure_logging
from smileback.common.loop import pump
from smileback.common.oncall import NOTIFIER_NAMES, default_oncall, load_oncall
from smileback.common.probes import KafkaProbe, database_probe
from smileback.common.supervise import DATABASE, KAFKA, Progress, dependency_of, supervise
from smileback.common.topics import Topics

__all__ = ["Consuming", "configure", "make_sender", "run"]

log = structlog.get_logger(__name__)

_SEND_POLL_S = 0.5
_WATCH_S = 5.0  # how often Kafka and the database are probed for readiness


def configure(
    settings: AlertsSettings, *, console: TextIO | None = None
) -> tuple[Paging, dict[str, Notifier]]:
    """Notifiers, policy and on-call from settings and files; ConfigError if any is invalid."""
    notifiers = notifiers_from_settings(settings, console=console)
    try:
        policy = load_policy(settings.policy_file) if settings.policy_file else Policy()
        oncall = (
            load_oncall(settings.oncall_file)
            if settings.oncall_file
            else default_oncall(notify=[n for n in NOTIFIER_NAMES if n in notifiers])
        )
        paging = Paging(
            policy=policy.with_handles(brand_handles(settings.brands)),
            oncall=oncall,
            notifiers=frozenset(notifiers),
            link_base=settings.console_base_url,
        )
    except ConfigError:
        for notifier in notifiers.values():
            notifier.close()
        raise
    return paging, notifiers


def make_sender(
    *,
    store: OutboxStore,
    notifiers: Mapping[str, Notifier],
    settings: AlertsSettings,
    wait: Callable[[float], bool],
) -> OutboxSender:
    """The outbox sender; a lease outlives the slowest notifier's timeout."""
    slowest = max(settings.notifier_timeout_s, settings.webhook_timeout_s)
    return OutboxSender(
        store=store,
        notifiers=notifiers,
        clock=utc_now,
        backoff_s=settings.outbox_backoff_s,
        cap_s=settings.outbox_backoff_cap_s,
        max_age=timedelta(seconds=settings.outbox_max_age_s),
        lease_s=2 * slowest + 5,
        wait=wait,
    )


def run(*, settings: AlertsSettings) -> None:
    """Consume, tick and send until SIGTERM or SIGINT, through outages of Kafka or the database.

    The consumer loop runs under `supervise`: when Kafka or the database fails, the loop's
    state (the incident book, the consumer) is dropped and rebuilt from the database and the
    committed offsets once they answer again, as a restart would, without leaving the process.
    """
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    paging, notifiers = configure(settings)  # before any connection: fail fast
    stop = stop_on_signals()
    health = Health(needs=[DATABASE, KAFKA])
    watch = ConsumerWatch(group=settings.alerts_group)
    health.require(CONSUMER, watch.problem)
    serve_health(health=health, port=settings.metrics_port, host=settings.metrics_host)
    topics = Topics(prefix=settings.topic_prefix)
    engine = make_engine(settings.alerts_database_url or settings.database_url)
    kafka_probe = KafkaProbe(
        bootstrap=settings.kafka_bootstrap,
        topics=[topics.scored, topics.incidents],
        client_id="smileback-alerts-readiness",
        security=settings,
    )
    health.watch(
        {DATABASE: database_probe(engine), KAFKA: kafka_probe}, every_s=_WATCH_S, stop=stop
    )
    sender = make_sender(
        store=OutboxStore(engine), notifiers=notifiers, settings=settings, wait=stop.wait
    )
    written = threading.Event()  # set by the consumer loop when it stored outbox rows
    sending = threading.Thread(
        target=_send, args=(sender, stop, health, written), name="outbox", daemon=True
    )
    sending.start()
    consuming = Consuming(
        connect=lambda: KafkaBus(
            settings.kafka_bootstrap, client_id="smileback-alerts", security=settings
        ),
        settings=settings,
        topics=topics,
        engine=engine,
        paging=paging,
        stop=stop,
        outbox_written=written.set,
        watch=watch,
    )
    try:
        supervise(work=consuming.run, stop=stop, health=health)
    finally:
        stop.set()
        written.set()  # the sender need not wait out its poll interval to see the stop
        sending.join(timeout=2 * max(settings.notifier_timeout_s, settings.webhook_timeout_s))
        consuming.close()
        kafka_probe.close()
        for notifier in notifiers.values():
            notifier.close()
        engine.dispose()
        log.info("alerts stopped")


class Consuming:
    """The consumer loop; each run starts from the database and the committed offsets.

    Each time round it polls, shows the poll to `watch` (lag, readiness) and calls
    `progress` (liveness): a loop blocked anywhere stops both."""

    def __init__(
        self,
        *,
        connect: Callable[[], Bus],
        settings: AlertsSettings,
        topics: Topics,
        engine: Engine,
        paging: Paging,
        stop: threading.Event,
        outbox_written: Callable[[], None],
        watch: ConsumerWatch,
    ) -> None:
        self._settings, self._topics, self._engine = settings, topics, engine
        self._paging, self._stop, self._outbox_written = paging, stop, outbox_written
        self._watch, self._connect = watch, connect
        self._bus: Bus | None = None  # kept across runs: its unsent records stay queued

    def run(self, progress: Progress) -> None:
        """Restore the incidents, join the group, then handle and tick until stopped."""
        if self._bus is None:
            self._bus = self._connect()
        bus, topics = self._bus, self._topics
        service = AlertsService.start(
            engine=self._engine,
            bus=bus,
            topics=topics,
            clock=utc_now,
            paging=self._paging,
            outbox_written=self._outbox_written,
        )
        consumer = bus.consumer(
            [topics.scored, topics.incidents], group=self._settings.alerts_group
        )
        log.info("alerts running", topics=[topics.scored, topics.incidents])
        try:
            last_tick = 0.0
            while not self._stop.is_set():
                pump(consumer=consumer, bus=bus, handler=service.handle, timeout_s=0.2)
                self._watch.observe(consumer)
                if time.monotonic() - last_tick >= self._settings.alerts_tick_s:
                    service.tick()
                    last_tick = time.monotonic()
                progress()
        finally:
            self._watch.forget()
            with contextlib.suppress(BusError):  # leaving a group the broker forgot is moot
                consumer.close()

    def close(self) -> None:
        """Flush what is queued (for a bounded time) and release the producer."""
        if self._bus is not None:
            self._bus.close()


def _send(
    sender: OutboxSender, stop: threading.Event, health: Health, written: threading.Event
) -> None:
    """Deliver until `stop`; a database outage waits with backoff, never fatal here.

    Idle, a pass runs when `written` is set (a page was just stored) or, for retries that
    fall due and rows another process stored, every `_SEND_POLL_S`.
    """
    backoff = Backoff(base_s=1.0, cap_s=30.0)
    while not stop.is_set():
        written.clear()  # before the pass: rows stored from here on are seen by the next one
        try:
            report = sender.run_once()
        except SQLAlchemyError as exc:
            if dependency_of(exc) == DATABASE:
                health.dependency(DATABASE).down(type(exc).__name__)
            else:  # e.g. the tables are not there yet while the consumer loop creates them
                log.warning("outbox pass failed; retrying", error_type=type(exc).__name__)
            stop.wait(backoff.next())
            continue
        backoff.reset()
        if report.tried == 0:
            written.wait(_SEND_POLL_S)
