"""`smileback api`: the projector and the retention purge in background threads, the API
under uvicorn, all on the store from SMILEBACK_DATABASE_URL."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import structlog
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from smileback.api.app import ApiOptions, create_app
from smileback.api.auth import weak_admin_token
from smileback.api.metrics import PROJECTOR_RESTARTS, PURGED
from smileback.api.projector import GROUP, make_handler
from smileback.api.publisher import EventPublisher
from smileback.api.routers.callbacks_common import Channels
from smileback.api.rule_events import republish_rules
from smileback.api.settings import ApiSettings
from smileback.api.store import create_schema, make_engine, purge_before, retention_cutoff
from smileback.common.backoff import Backoff, when_reachable
from smileback.common.bus import Bus
from smileback.common.clock import Clock, utc_now
from smileback.common.errors import BusError, ConfigError
from smileback.common.health import Health, Probe
from smileback.common.kafka_bus import KafkaBus
from smileback.common.kafka_security import KafkaSecuritySettings
from smileback.common.lag import ConsumerWatch
from smileback.common.lifecycle import stop_on_signals
from smileback.common.logging import configure_logging
from smileback.common.loop import run_until_stopped
from smileback.common.probes import KafkaProbe, database_probe
from smileback.common.supervise import DATABASE, KAFKA
from smileback.common.topics import Topics

__all__ = [
    "ServerLimits",
    "api_options",
    "build_server",
    "connect_when_reachable",
    "migrate_when_reachable",
    "purge_once",
    "run",
    "start_projector",
    "start_purger",
]

log = structlog.get_logger(__name__)

_RETRY_S = 5.0
_JOIN_S = 10.0
_WATCH_S = 5.0  # how often the dependencies are probed between /readyz calls
_CONNECT_S = 5.0  # one attempt to reach Kafka at start; short, so SIGTERM is not kept waiting


def run(*, settings: ApiSettings) -> None:
    """Project the topics into the store and serve the API until SIGTERM or SIGINT."""
    token = settings.api_token.get_secret_value() if settings.api_token is not None else None
    if token == "":
        raise ConfigError("SMILEBACK_API_TOKEN is set but empty: unset it or give it a value")
    weakness = weak_admin_token(token) if token is not None else None
    if weakness is not None:
        raise ConfigError(
            f"SMILEBACK_API_TOKEN is refused: {weakness} (make one with "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    engine = make_engine(settings.database_url)
    stop = stop_on_signals(threading.Event())
    if not migrate_when_reachable(engine=engine, stop=stop):
        engine.dispose()
        return
    if token is None:
        log.info("no SMILEBACK_API_TOKEN: only keys from `smileback keys create` are accepted")
    topics = Topics(settings.topic_prefix)
    # A bus of its own for actions: request threads flush it while the projector flushes the
    # other.
    buses = connect_when_reachable(
        bootstrap=settings.kafka_bootstrap,
        client_ids=("smileback-api", "smileback-api-actions"),
        stop=stop,
        security=settings,
    )
    if buses is None:
        engine.dispose()
        return
    bus, actions_bus = buses
    probe = KafkaProbe(
        bootstrap=settings.kafka_bootstrap,
        topics=[topics.scored, topics.incidents, topics.queues],
        client_id="smileback-api-readiness",
        security=settings,
    )
    # /readyz answers from the watch's last probe: it never waits on a frozen dependency.
    health = Health(needs=[DATABASE, KAFKA])
    probes: dict[str, Probe] = {DATABASE: database_probe(engine), KAFKA: probe}
    threads = [
        start_projector(
            engine=engine,
            bus=bus,
            topics=topics,
            clock=utc_now,
            stop=stop,
            group=settings.api_projector_group,
        ),
        health.watch(probes, every_s=_WATCH_S, stop=stop),
        start_purger(
            engine=engine,
            retention_days=settings.api_retention_days,
            interval_s=settings.api_purge_interval_s,
            clock=utc_now,
            stop=stop,
        ),
    ]
    app = create_app(
        engine=engine,
        api_token=token,
        bus=actions_bus,
        topics=topics,
        options=api_options(settings),
        kafka_check=health.answer(KAFKA),
        database_check=health.answer(DATABASE),
        channels=Channels(
            pagerduty_secret=settings.pagerduty_webhook_secret,
            slack_secret=settings.slack_signing_secret,
        ),
    )
    _republish_rules(engine=engine, bus=actions_bus, topics=topics, settings=settings)
    server = build_server(
        app=app, host=settings.api_host, port=settings.api_port, limits=ServerLimits.of(settings)
    )
    log.info("api starting", host=settings.api_host, port=settings.api_port)
    try:
        server.run()  # returns after uvicorn's own graceful shutdown on SIGTERM/SIGINT
    finally:
        stop.set()
        for thread in threads:
            thread.join(_JOIN_S)
        probe.close()
        actions_bus.close()
        bus.close()
        engine.dispose()
        log.info("api stopped")


def _republish_rules(*, engine: Engine, bus: Bus, topics: Topics, settings: ApiSettings) -> None:
    try:
        count = republish_rules(
            engine=engine,
            publisher=EventPublisher(bus=bus, topics=topics),
            bootstrap=settings.kafka_bootstrap,
            topic=topics.brand_rules,
            clock=utc_now,
            security=settings,
        )
    except BusError as exc:
        log.warning("brand rules not republished; the next start retries", error=str(exc))
        return
    log.info("brand rules republished", records=count)


def migrate_when_reachable(
    *, engine: Engine, stop: threading.Event, first_delay_s: float = 1.0, max_delay_s: float = 30.0
) -> bool:
    """Upgrade the store, waiting out a database that is not up yet; False if stopped first."""

    def migrate() -> bool:
        create_schema(engine)
        return True

    migrated = when_reachable(
        migrate,
        dependency="database",
        errors=(OperationalError,),
        stop=stop,
        first_delay_s=first_delay_s,
        max_delay_s=max_delay_s,
    )
    return migrated is not None


def connect_when_reachable(
    *,
    bootstrap: str,
    client_ids: Sequence[str],
    stop: threading.Event,
    security: KafkaSecuritySettings | None = None,
) -> list[KafkaBus] | None:
    """A bus per client id, waiting out a broker that is not up yet; None if stopped first."""
    buses: list[KafkaBus] = []
    for client_id in client_ids:

        def connect(client_id: str = client_id) -> KafkaBus:
            return KafkaBus(
                bootstrap, client_id=client_id, bootstrap_timeout_s=_CONNECT_S, security=security
            )

        bus = when_reachable(connect, dependency="Kafka", errors=(BusError,), stop=stop)
        if bus is None:
            for made in buses:
                made.close()
            return None
        buses.append(bus)
    return buses


def api_options(settings: ApiSettings) -> ApiOptions:
    """The app's limits and policies from the settings."""
    return ApiOptions(
        max_body_bytes=settings.api_max_body_bytes,
        rate_per_s=settings.api_rate_per_s,
        rate_burst=settings.api_rate_burst,
        auth_failures_per_s=settings.api_auth_failures_per_s,
        auth_failure_burst=settings.api_auth_failure_burst,
        trusted_proxies=tuple(settings.api_trusted_proxies),
        cors_origins=tuple(settings.api_cors_origins),
        docs=settings.api_docs,
        oncall_file=Path(settings.oncall_file) if settings.oncall_file else None,
    )


@dataclass(frozen=True)
class ServerLimits:
    """What one client may hold of the server: idle time, header size, concurrency."""

    timeout_keep_alive_s: int = 5
    max_header_bytes: int = 16 * 1024
    limit_concurrency: int = 200

    @classmethod
    def of(cls, settings: ApiSettings) -> ServerLimits:
        return cls(
            timeout_keep_alive_s=settings.api_timeout_keep_alive_s,
            max_header_bytes=settings.api_max_header_bytes,
            limit_concurrency=settings.api_limit_concurrency,
        )


def build_server(
    *, app: FastAPI, host: str, port: int, limits: ServerLimits | None = None
) -> uvicorn.Server:
    """A uvicorn server for `app` that logs through our logging setup, within `limits`."""
    limits = limits or ServerLimits()
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        # h11 named, not "auto": its incomplete-event limit is what bounds a request's
        # line and headers (httptools has no such setting).
        http="h11",
        h11_max_incomplete_event_size=limits.max_header_bytes,
        timeout_keep_alive=limits.timeout_keep_alive_s,
        limit_concurrency=limits.limit_concurrency,
    )
    return uvicorn.Server(config)


def start_projector(
    *,
    engine: Engine,
    bus: Bus,
    topics: Topics,
    clock: Clock,
    stop: threading.Event,
    retry_s: float = _RETRY_S,
    group: str = GROUP,
) -> threading.Thread:
    """Run the projector in a daemon thread until `stop` is set, re-joining after errors."""
    thread = threading.Thread(
        target=_project,
        kwargs={
            "engine": engine,
            "bus": bus,
            "topics": topics,
            "clock": clock,
            "stop": stop,
            "retry_s": retry_s,
            "group": group,
        },
        name="api-projector",
        daemon=True,
    )
    thread.start()
    return thread


def _project(
    *,
    engine: Engine,
    bus: Bus,
    topics: Topics,
    clock: Clock,
    stop: threading.Event,
    retry_s: float,
    group: str,
) -> None:
    handler = make_handler(engine=engine, bus=bus, topics=topics, clock=clock, wait=stop.wait)
    backoff = Backoff(base_s=retry_s, cap_s=max(retry_s, 60.0))
    watch = ConsumerWatch(group=group)
    while not stop.is_set():
        try:
            consumer = bus.consumer([topics.scored, topics.incidents, topics.queues], group=group)
            run_until_stopped(
                consumer=consumer,
                bus=bus,
                handler=handler,
                stop=stop,
                on_progress=backoff.reset,
                watch=watch,
            )
        except Exception as exc:
            # A fresh consumer restarts from the last commit, so the failed batch is read again.
            if stop.is_set():
                return
            PROJECTOR_RESTARTS.inc()
            delay = backoff.next()
            # The dependency trackers log the outage itself; this says what the projector does.
            (log.warning if backoff.attempt == 1 else log.debug)(
                "projector failed; retrying",
                error_type=type(exc).__name__,
                error=str(exc)[:500],
                delay_s=round(delay, 1),
            )
            stop.wait(delay)


def start_purger(
    *,
    engine: Engine,
    retention_days: int,
    interval_s: float,
    clock: Clock,
    stop: threading.Event,
) -> threading.Thread:
    """Purge mentions past retention now and every `interval_s`, in a daemon thread."""

    def loop() -> None:
        while not stop.is_set():
            purge_once(engine=engine, before=retention_cutoff(now=clock(), days=retention_days))
            stop.wait(interval_s)

    thread = threading.Thread(target=loop, name="api-purger", daemon=True)
    thread.start()
    return thread


def purge_once(*, engine: Engine, before: datetime) -> None:
    """One purge, logged and counted; a database error is logged and left for next time."""
    try:
        report = purge_before(engine=engine, before=before)
    except SQLAlchemyError as exc:
        log.warning("purge failed; will try again", error_type=type(exc).__name__)
        return
    PURGED.labels(table="mentions").inc(report.mentions)
    PURGED.labels(table="queue_items").inc(report.queue_items)
    if report.mentions or report.queue_items:
        log.info("purged", mentions=report.mentions, queue_items=report.queue_items, before=before)
