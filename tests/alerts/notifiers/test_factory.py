"""Notifiers from settings: the webhook is signed unless unsigned pages are asked for, and
the SMTP password never goes out in plaintext unless that is allowed."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from smileback.alerts.notifiers import WebhookNotifier, notifiers_from_settings
from smileback.alerts.settings import AlertsSettings
from smileback.common.errors import ConfigError
from smileback.common.settings import load_settings

URL = "https://hooks.example/x"
SECRET = "a-webhook-secret-of-32-bytes-000"


def test_an_empty_secret_from_the_environment_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SMILEBACK_WEBHOOK_URL", URL)
    monkeypatch.setenv("SMILEBACK_WEBHOOK_SECRET", "")
    with pytest.raises(ConfigError, match="SMILEBACK_WEBHOOK_SECRET is empty"):
        notifiers_from_settings(load_settings(AlertsSettings))


def test_no_secret_is_refused_unless_unsigned_pages_are_asked_for() -> None:
    with pytest.raises(
        ConfigError, match=r"without SMILEBACK_WEBHOOK_SECRET.*SMILEBACK_WEBHOOK_UNSIGNED=true"
    ):
        notifiers_from_settings(AlertsSettings(webhook_url=URL))


def test_unsigned_pages_are_warned_about_once_at_start() -> None:
    with capture_logs() as logs:
        notifiers = notifiers_from_settings(AlertsSettings(webhook_url=URL, webhook_unsigned=True))
    webhook = notifiers["webhook"]
    webhook.close()
    assert isinstance(webhook, WebhookNotifier)
    assert "unsigned" in repr(webhook)
    warnings = [entry for entry in logs if entry["log_level"] == "warning"]
    assert [w["event"] for w in warnings] == [
        "webhook pages are sent unsigned: a receiver cannot tell them from forged ones"
    ]


def test_unsigned_and_a_secret_together_are_refused() -> None:
    settings = AlertsSettings(
        webhook_url=URL, webhook_unsigned=True, webhook_secret=SecretStr(SECRET)
    )
    with pytest.raises(ConfigError, match="both set: unset one") as info:
        notifiers_from_settings(settings)
    assert SECRET not in str(info.value)


def test_a_signed_webhook_logs_no_warning() -> None:
    with capture_logs() as logs:
        notifiers = notifiers_from_settings(
            AlertsSettings(webhook_url=URL, webhook_secret=SecretStr(SECRET))
        )
    notifiers["webhook"].close()
    assert repr(notifiers["webhook"]).endswith(", signed)")
    assert [entry for entry in logs if entry["log_level"] == "warning"] == []


def test_an_smtp_login_without_starttls_needs_explicit_permission() -> None:
    settings = AlertsSettings(
        smtp_host="127.0.0.1",
        smtp_username="smileback",
        smtp_password=SecretStr("smtp-password"),
        smtp_starttls=False,
    )
    with pytest.raises(ConfigError, match="SMILEBACK_SMTP_PLAINTEXT_LOGIN=true"):
        notifiers_from_settings(settings)
    allowed = settings.model_copy(update={"smtp_plaintext_login": True})
    assert list(notifiers_from_settings(allowed)) == ["email"]
    assert AlertsSettings().smtp_starttls is True
