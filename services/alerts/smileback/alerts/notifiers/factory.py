"""Build the configured notifiers from settings, by the names escalation levels use."""

from __future__ import annotations

import sys
from typing import TextIO

import structlog
from pydantic import SecretStr

from smileback.alerts.notifiers.base import Notifier
from smileback.alerts.notifiers.console import ConsoleNotifier
from smileback.alerts.notifiers.email import EmailNotifier
from smileback.alerts.notifiers.pagerduty import PagerDutyNotifier
from smileback.alerts.notifiers.slack import SlackNotifier
from smileback.alerts.notifiers.webhook import WebhookNotifier
from smileback.alerts.settings import AlertsSettings
from smileback.common.errors import ConfigError

__all__ = ["notifiers_from_settings"]

log = structlog.get_logger(__name__)


def notifiers_from_settings(
    settings: AlertsSettings, *, console: TextIO | None = None
) -> dict[str, Notifier]:
    """Every notifier the settings configure; ConfigError when there is none."""
    out: dict[str, Notifier] = {}
    if settings.pagerduty_routing_key is not None:
        out["pagerduty"] = PagerDutyNotifier(
            routing_key=settings.pagerduty_routing_key,
            url=settings.pagerduty_url,
            timeout_s=settings.notifier_timeout_s,
        )
    if settings.slack_webhook_url is not None:
        out["slack"] = SlackNotifier(
            url=settings.slack_webhook_url, timeout_s=settings.notifier_timeout_s
        )
    if settings.webhook_url:
        out["webhook"] = WebhookNotifier(
            settings.webhook_url.get_secret_value(),
            _webhook_secret(settings),
            timeout_s=settings.webhook_timeout_s,
        )
    if settings.smtp_host:
        out["email"] = EmailNotifier(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            to=settings.smtp_to,
            timeout_s=settings.notifier_timeout_s,
            starttls=settings.smtp_starttls,
            plaintext_login=settings.smtp_plaintext_login,
            username=settings.smtp_username,
            password=settings.smtp_password,
        )
    if settings.notify_console or console is not None:
        out["console"] = ConsoleNotifier(console or sys.stdout)
    if not out:
        raise ConfigError(
            "no notifier configured: set SMILEBACK_WEBHOOK_URL, SMILEBACK_PAGERDUTY_ROUTING_KEY,"
            " SMILEBACK_SLACK_WEBHOOK_URL, SMILEBACK_SMTP_HOST or SMILEBACK_NOTIFY_CONSOLE"
        )
    return out


def _webhook_secret(settings: AlertsSettings) -> SecretStr | None:
    """The webhook's signing secret; None only when unsigned pages were asked for."""
    if not settings.webhook_unsigned:
        if settings.webhook_secret is None:
            raise ConfigError(
                "SMILEBACK_WEBHOOK_URL is set without SMILEBACK_WEBHOOK_SECRET: set a"
                " whsec_<base64> secret, or SMILEBACK_WEBHOOK_UNSIGNED=true to send unsigned pages"
            )
        return settings.webhook_secret
    if settings.webhook_secret is not None:
        raise ConfigError(
            "SMILEBACK_WEBHOOK_UNSIGNED=true and SMILEBACK_WEBHOOK_SECRET are both set: unset one"
        )
    log.warning(
        "webhook pages are sent unsigned: a receiver cannot tell them from forged ones",
        setting="SMILEBACK_WEBHOOK_UNSIGNED",
    )
    return None
