"""Run `smileback ingest webhook`: the app on uvicorn, writing to Kafka or a file.

The server listens at once. Kafka (the producer, and the brand-rules topic when live rules
are on) is reached from a thread, waited for with backoff when it does not answer: until
then /v1/ingest answers 503 with Retry-After and /readyz 503, /healthz 200. Only a
configuration error (secret, brands, rules file) ends the command.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import structlog
import uvicorn

from smileback.common.backoff import when_reachable
from smileback.common.clock import utc_now
from smileback.common.errors import BusError, ConfigError
from smileback.common.health import Health
from smileback.common.logging import configure_logging
from smileback.common.probes import KafkaProbe
from smileback.common.supervise import KAFKA
from smileback.common.topics import Topics
from smileback.ingest.live import live_rules_on, open_matcher, static_rules
from smileback.ingest.metrics import SOURCES
from smileback.ingest.rules import BrandMatcher
from smileback.ingest.runner import open_sink
from smileback.ingest.settings import IngestSettings
from smileback.ingest.webhook.app import create_app
from smileback.ingest.webhook.intake import Intake, IntakeSlot
from smileback.ingest.webhook.signature import WebhookKey

__all__ = ["run_webhook"]

log = structlog.get_logger(__name__)

_PROBE_S = 5.0  # how often Kafka is asked for its topics between requests (readiness)
_JOIN_S = 15.0


def run_webhook(*, settings: IngestSettings, output: Path | None) -> None:
    """Serve `POST /v1/ingest` until stopped; ConfigError without a valid secret."""
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    if settings.ingest_webhook_secret is None:
        raise ConfigError("SMILEBACK_INGEST_WEBHOOK_SECRET: required by `ingest webhook`")
    key = WebhookKey.parse(settings.ingest_webhook_secret.get_secret_value())
    static = static_rules(settings)
    live = live_rules_on(settings=settings, output=output)
    topics = Topics(prefix=settings.topic_prefix)
    needed = ([topics.raw] if output is None else []) + ([topics.brand_rules] if live else [])
    health = Health(needs=[KAFKA] if needed else [])
    SOURCES.labels(source="webhook").set(1)
    slot = IntakeSlot()
    stop = threading.Event()
    connector = threading.Thread(
        target=_take_requests,
        kwargs={
            "settings": settings,
            "static": static,
            "live": live,
            "output": output,
            "slot": slot,
            "health": health,
            "needed": needed,
            "stop": stop,
        },
        name="webhook-intake",
        daemon=True,
    )
    connector.start()
    app = create_app(key=key, intake=slot, clock=utc_now, health=health)
    log.info(
        "webhook listening", host=settings.ingest_webhook_host, port=settings.ingest_webhook_port
    )
    try:
        uvicorn.run(
            app,
            host=settings.ingest_webhook_host,
            port=settings.ingest_webhook_port,
            log_config=None,  # structlog's JSON lines on stderr, as every service logs
            access_log=False,
        )
    finally:
        # uvicorn has answered the requests in flight: the sink can flush and close.
        stop.set()
        connector.join(_JOIN_S)


def _take_requests(
    *,
    settings: IngestSettings,
    static: BrandMatcher,
    live: bool,
    output: Path | None,
    slot: IntakeSlot,
    health: Health,
    needed: list[str],
    stop: threading.Event,
) -> None:
    """Reach Kafka (waiting with backoff), open the slot, and hold it open until `stop`;
    `needed`: the topics Kafka must have (none: Kafka is not used)."""
    kafka = health.dependency(KAFKA) if needed else None

    def attempt() -> tuple[contextlib.ExitStack, Intake]:
        stack = contextlib.ExitStack()
        try:
            matcher = stack.enter_context(open_matcher(static=static, settings=settings, live=live))
            sink = stack.enter_context(open_sink(settings=settings, output=output))
        except BusError as exc:
            stack.close()
            if kafka is not None:
                kafka.down(f"not reached yet ({exc})"[:300])
            raise
        except BaseException:
            stack.close()
            raise
        ack_timeout_s = settings.ingest_webhook_ack_timeout_s
        return stack, Intake(sink=sink, matcher=matcher, ack_timeout_s=ack_timeout_s, kafka=kafka)

    opened = when_reachable(attempt, dependency="Kafka", errors=(BusError,), stop=stop)
    if opened is None:
        return
    resources, intake = opened
    probe = KafkaProbe(
        bootstrap=settings.kafka_bootstrap,
        topics=needed,
        client_id="smileback-ingest",
        security=settings,
    )
    resources.callback(probe.close)
    with resources:
        if kafka is not None:
            kafka.up()
            health.watch({KAFKA: probe}, every_s=_PROBE_S, stop=stop)
        slot.open(intake)
        log.info("webhook taking mentions")
        stop.wait()
        slot.close()
