"""`smileback api`: the projector in a background thread and the API under uvicorn."""

from __future__ import annotations

import threading

import structlog
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine

from smileback.api.app import create_app
from smileback.api.metrics import PROJECTOR_RESTARTS
from smileback.api.projector import GROUP, make_handler
from smileback.api.store import create_schema, make_engine
from smileback.common.bus import Bus
from smileback.common.clock import Clock, utc_now
from smileback.common.errors import ConfigError
from smileback.common.kafka_bus import KafkaBus
from smileback.common.lifecycle import stop_on_signals
from smileback.common.logging import configure_logging
from smileback.common.loop import run_until_stopped
from smileback.common.settings import Settings
from smileback.common.topics import Topics

__all__ = ["build_server", "run", "start_projector"]

log = structlog.get_logger(__name__)

_RETRY_S = 5.0
_JOIN_S = 10.0


def run(*, settings: Settings) -> None:
    """Project the topics into the store and serve the API until SIGTERM or SIGINT."""
    if settings.api_token is None or not settings.api_token.get_secret_value():
        raise ConfigError("SMILEBACK_API_TOKEN is required: the API serves nothing without it")
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    engine = make_engine(settings.database_url)
    create_schema(engine)
    bus = KafkaBus(settings.kafka_bootstrap, client_id="smileback-api")
    stop = threading.Event()
    projector = start_projector(
        engine=engine, bus=bus, topics=Topics(settings.topic_prefix), clock=utc_now, stop=stop
    )
    server = build_server(
        app=create_app(engine=engine, api_token=settings.api_token.get_secret_value()),
        host=settings.api_host,
        port=settings.api_port,
    )
    stop_on_signals(stop)
    log.info("api starting", host=settings.api_host, port=settings.api_port)
    try:
        server.run()  # returns after uvicorn's own graceful shutdown on SIGTERM/SIGINT
    finally:
        stop.set()
        projector.join(_JOIN_S)
        bus.close()
        engine.dispose()
        log.info("api stopped")


def build_server(*, app: FastAPI, host: str, port: int) -> uvicorn.Server:
    """A uvicorn server for `app` that logs through our logging setup."""
    config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False)
    return uvicorn.Server(config)


def start_projector(
    *,
    engine: Engine,
    bus: Bus,
    topics: Topics,
    clock: Clock,
    stop: threading.Event,
    retry_s: float = _RETRY_S,
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
) -> None:
    handler = make_handler(engine=engine, bus=bus, topics=topics, clock=clock)
    while not stop.is_set():
        try:
            consumer = bus.consumer([topics.scored, topics.incidents, topics.queues], group=GROUP)
            run_until_stopped(consumer=consumer, bus=bus, handler=handler, stop=stop)
        except Exception as exc:
            # A fresh consumer restarts from the last commit, so the failed batch is read again.
            PROJECTOR_RESTARTS.inc()
            log.error("projector failed; retrying", error_type=type(exc).__name__, error=str(exc))
            stop.wait(retry_s)
