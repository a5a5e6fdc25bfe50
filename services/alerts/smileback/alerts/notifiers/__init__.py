"""Notifiers behind one small interface: PagerDuty, Slack, signed webhook, email, console."""

from smileback.alerts.notifiers.base import (
    Notification,
    NotificationKind,
    Notifier,
    NotifyError,
    ResponderRef,
)
from smileback.alerts.notifiers.console import ConsoleNotifier
from smileback.alerts.notifiers.email import EmailNotifier, email_message
from smileback.alerts.notifiers.factory import notifiers_from_settings
from smileback.alerts.notifiers.pagerduty import PagerDutyNotifier, pagerduty_event
from smileback.alerts.notifiers.slack import SlackNotifier, slack_message
from smileback.alerts.notifiers.text import render_text
from smileback.alerts.notifiers.webhook import (
    ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookNotifier,
    webhook_body,
    webhook_id,
)

__all__ = [
    "ID_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "ConsoleNotifier",
    "EmailNotifier",
    "Notification",
    "NotificationKind",
    "Notifier",
    "NotifyError",
    "PagerDutyNotifier",
    "ResponderRef",
    "SlackNotifier",
    "WebhookNotifier",
    "email_message",
    "notifiers_from_settings",
    "pagerduty_event",
    "render_text",
    "slack_message",
    "webhook_body",
    "webhook_id",
]
