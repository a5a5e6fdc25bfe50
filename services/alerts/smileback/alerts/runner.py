"""The alerts process: wire settings, Kafka, the webhook notifier and the handler; run."""

from __future__ import annotations

import structlog

from smileback.alerts.handler import make_handler
from smileback.alerts.incidents import IncidentBook
from smileback.alerts.notifiers import WebhookNotifier
from smileback.alerts.policy import PolicyConfig
from smileback.common.clock import utc_now
from smileback.common.errors import ConfigError
from smileback.common.kafka_bus import KafkaBus
from smileback.common.lifecycle import stop_on_signals
from smileback.common.logging import configure_logging
from smileback.common.loop import run_until_stopped
from smileback.common.metrics import serve_metrics
from smileback.common.settings import Settings
from smileback.common.topics import Topics

__all__ = ["notifier_from_settings", "policy_from_settings", "run"]

log = structlog.get_logger(__name__)


def policy_from_settings(settings: Settings) -> PolicyConfig:
    """The default policy, with each brand's @handles taken from its match terms."""
    handles = {
        brand: tuple(term for term in terms if term.startswith("@") and len(term) > 1)
        for brand, terms in settings.brands.items()
    }
    return PolicyConfig(brand_handles=handles)


def notifier_from_settings(settings: Settings) -> WebhookNotifier:
    """The webhook notifier; ConfigError when no webhook URL is set."""
    if not settings.webhook_url:
        raise ConfigError("SMILEBACK_WEBHOOK_URL is required by the alerts service")
    return WebhookNotifier(
        settings.webhook_url, settings.webhook_secret, timeout_s=settings.webhook_timeout_s
    )


def run(*, settings: Settings) -> None:
    """Consume scored mentions until SIGTERM or SIGINT."""
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    notifier = notifier_from_settings(settings)  # before any connection: fail fast
    stop = stop_on_signals()
    serve_metrics(port=settings.metrics_port, host=settings.metrics_host)
    topics = Topics(prefix=settings.topic_prefix)
    bus = KafkaBus(settings.kafka_bootstrap, client_id="smileback-alerts")
    try:
        consumer = bus.consumer([topics.scored], group=settings.alerts_group)
        handler = make_handler(
            bus=bus,
            topics=topics,
            clock=utc_now,
            config=policy_from_settings(settings),
            book=IncidentBook(),
            notifier=notifier,
        )
        log.info(
            "alerts running",
            topic=topics.scored,
            group=settings.alerts_group,
            notifier=repr(notifier),
        )
        run_until_stopped(consumer=consumer, bus=bus, handler=handler, stop=stop)
    finally:
        bus.close()
        notifier.close()
        log.info("alerts stopped")
