"""The services' log output captured as text, and the secrets that must never be in it."""

from __future__ import annotations

import contextlib
import io
import logging
import re
from collections.abc import Iterable, Iterator

import pytest
import structlog

from smileback.common.logging import configure_logging

__all__ = ["SECRETS", "captured_logs", "leaked", "secret_environment", "without_colours"]

# Every secret a service reads, by variable; the values are what must never be printed.
_DATABASE_PASSWORD = "db-password-7f3a9c"
SECRETS = {
    "SMILEBACK_API_TOKEN": "bootstrap-token-4b81d2e6",
    "SMILEBACK_DATABASE_URL": f"postgresql+psycopg://smileback:{_DATABASE_PASSWORD}@db:5432/sb",
    "SMILEBACK_ALERTS_DATABASE_URL": f"postgresql://alerts:{_DATABASE_PASSWORD}-2@db/alerts",
    "SMILEBACK_WEBHOOK_URL": "https://hooks.example.com/in/webhook-path-token-91c0",
    "SMILEBACK_WEBHOOK_SECRET": "webhook-hmac-key-05aa71",
    "SMILEBACK_PAGERDUTY_ROUTING_KEY": "pagerduty-routing-key-e2d4",
    "SMILEBACK_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/slack-token-6c1f",
    "SMILEBACK_SMTP_PASSWORD": "smtp-password-30b9",
    "SMILEBACK_INGEST_WEBHOOK_SECRET": "whsec_aW5nZXN0LXdlYmhvb2stc2VjcmV0LTE=",
    "SMILEBACK_MASTODON_TOKEN": "mastodon-token-8d27e5",
    "SMILEBACK_KAFKA_SASL_PASSWORD": "kafka-scram-password-5e19",
}
# What of each value is secret: a database URL's password, every other value whole.
_NEEDLES = {
    "SMILEBACK_DATABASE_URL": _DATABASE_PASSWORD,
    "SMILEBACK_ALERTS_DATABASE_URL": f"{_DATABASE_PASSWORD}-2",
    "SMILEBACK_INGEST_WEBHOOK_SECRET": "aW5nZXN0LXdlYmhvb2stc2VjcmV0LTE=",
}

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def secret_environment(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Set every secret variable; returns the secret values to look for in the output."""
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    return [_NEEDLES.get(name, value) for name, value in SECRETS.items()]


def leaked(text: str, secrets: Iterable[str]) -> list[str]:
    """The secrets found in `text`, colour codes taken out first (they could split one)."""
    plain = without_colours(text)
    return [secret for secret in secrets if secret in plain]


def without_colours(text: str) -> str:
    """`text` without the console format's colour codes."""
    return _ANSI.sub("", text)


@contextlib.contextmanager
def captured_logs(fmt: str) -> Iterator[io.StringIO]:
    """Logging configured as a service does, in format `fmt`, writing into the yielded buffer;
    the previous logging and structlog configuration are back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {
        name: logger.level
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    config = structlog.get_config()
    out = io.StringIO()
    with contextlib.redirect_stderr(out):
        configure_logging(level="INFO", fmt=fmt)
    # Not cached: a logger cached here would keep this configuration in the tests after.
    structlog.configure(cache_logger_on_first_use=False)
    try:
        yield out
    finally:
        structlog.configure(**config)
        root.handlers[:], root.level = handlers, level
        for name, logger in logging.root.manager.loggerDict.items():
            if isinstance(logger, logging.Logger):
                logger.setLevel(levels.get(name, logging.NOTSET))
