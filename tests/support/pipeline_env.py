"""What the multi-process pipeline tests give the services: one API token, one signed page
receiver, one environment."""

from __future__ import annotations

import json

from tests.support.receivers import Receiver

SECRET = "pipeline-webhook-secret"  # 16+ bytes, as the webhook notifier requires
TOKEN = "pipeline-api-token-7d2e91c4a8b35f06"  # 32+ characters, as `smileback api` requires
AUTH = {"Authorization": f"Bearer {TOKEN}"}

# The webhook as these tests configure it: answers 202 on /page.
PAGE_OK = (202, b"", "text/plain")


def page_receiver() -> Receiver:
    """A receiver of signed pages on /page (not started)."""
    return Receiver(secret=SECRET, ok=PAGE_OK, path="/page")


def service_env(
    *,
    bootstrap: str,
    database: str,
    api_port: int,
    webhook_url: str,
    brands: dict[str, list[str]],
    prefix: str | None = None,
) -> dict[str, str]:
    """The variables the scorer, alerts and api share in these tests."""
    env = {
        "SMILEBACK_KAFKA_BOOTSTRAP": bootstrap,
        "SMILEBACK_DATABASE_URL": database,
        "SMILEBACK_API_TOKEN": TOKEN,
        "SMILEBACK_API_PORT": str(api_port),
        "SMILEBACK_WEBHOOK_URL": webhook_url,
        "SMILEBACK_WEBHOOK_SECRET": SECRET,
        "SMILEBACK_BRANDS": json.dumps(brands),
    }
    if prefix is not None:
        env["SMILEBACK_TOPIC_PREFIX"] = prefix
    return env
