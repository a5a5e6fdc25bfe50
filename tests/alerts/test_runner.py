"""Wiring from settings: the policy, the notifier and failing fast."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from smileback.alerts import runner
from smileback.alerts.notifiers import WebhookNotifier
from smileback.common.errors import ConfigError
from smileback.common.settings import Settings


def test_policy_takes_handles_from_brand_terms() -> None:
    settings = Settings(
        brands={"acme": ["acme", "@acmehelp", "#acmefail", "@AcmeUK", "@"], "globex": ["globex"]}
    )
    policy = runner.policy_from_settings(settings)
    assert dict(policy.brand_handles) == {"acme": ("@acmehelp", "@AcmeUK"), "globex": ()}
    assert policy.page_min_negativity == 0.8


def test_notifier_from_settings() -> None:
    settings = Settings(
        webhook_url="https://hooks.example/x",
        webhook_secret=SecretStr("sekrit-value"),
        webhook_timeout_s=2,
    )
    notifier = runner.notifier_from_settings(settings)
    try:
        assert isinstance(notifier, WebhookNotifier)
        assert "sekrit-value" not in repr(notifier)
        assert "hooks.example" in repr(notifier)
    finally:
        notifier.close()


def test_run_without_webhook_url_fails_before_connecting(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_bus(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("connected to Kafka before checking the config")

    monkeypatch.setattr(runner, "configure_logging", lambda **_: None)
    monkeypatch.setattr(runner, "KafkaBus", no_bus)
    with pytest.raises(ConfigError, match="SMILEBACK_WEBHOOK_URL"):
        runner.run(settings=Settings(webhook_url=None))
