"""Run `smileback ingest webhook`: the app on uvicorn, writing to Kafka or a file."""

from __future__ import annotations

from pathlib import Path

import structlog
import uvicorn

from smileback.common.clock import utc_now
from smileback.common.errors import ConfigError
from smileback.common.logging import configure_logging
from smileback.ingest.live import live_rules_on, open_matcher
from smileback.ingest.runner import open_sink
from smileback.ingest.settings import IngestSettings
from smileback.ingest.webhook.app import create_app
from smileback.ingest.webhook.intake import Intake
from smileback.ingest.webhook.signature import WebhookKey

__all__ = ["run_webhook"]

log = structlog.get_logger(__name__)


def run_webhook(*, settings: IngestSettings, output: Path | None) -> None:
    """Serve `POST /v1/ingest` until stopped; ConfigError without a valid secret."""
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    if settings.ingest_webhook_secret is None:
        raise ConfigError("SMILEBACK_INGEST_WEBHOOK_SECRET: required by `ingest webhook`")
    key = WebhookKey.parse(settings.ingest_webhook_secret.get_secret_value())
    live = live_rules_on(settings=settings, output=output)
    with (
        open_matcher(settings=settings, live=live) as matcher,
        open_sink(settings=settings, output=output) as sink,
    ):
        intake = Intake(
            sink=sink, matcher=matcher, ack_timeout_s=settings.ingest_webhook_ack_timeout_s
        )
        app = create_app(key=key, intake=intake, clock=utc_now)
        log.info(
            "webhook listening",
            host=settings.ingest_webhook_host,
            port=settings.ingest_webhook_port,
        )
        uvicorn.run(
            app,
            host=settings.ingest_webhook_host,
            port=settings.ingest_webhook_port,
            log_config=None,  # structlog's JSON lines on stderr, as every service logs
            access_log=False,
        )
