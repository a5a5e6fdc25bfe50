"""A generic JSON webhook, signed per Standard Webhooks (https://www.standardwebhooks.com).

Every request carries `webhook-id` (the same on every retry of one notification, so a
receiver de-duplicates by it), `webhook-timestamp` (this attempt's time in whole seconds)
and, when a secret is set, `webhook-signature: v1,<base64 HMAC-SHA256 of
"<webhook-id>.<webhook-timestamp>.<body>">`. Receivers verify with any Standard Webhooks
library (e.g. `standardwebhooks.Webhook(secret).verify(body, headers)`), which refuses a
timestamp more than 5 minutes from now; within those 5 minutes the id tells a replay.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import SecretStr
from standardwebhooks.webhooks import Webhook

from smileback.alerts.notifiers.base import Notification, Notifier
from smileback.alerts.notifiers.http import check_url, post_json
from smileback.common.errors import ConfigError

__all__ = [
    "ID_HEADER",
    "MIN_KEY_BYTES",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "WebhookNotifier",
    "dumps",
    "webhook_body",
    "webhook_id",
    "webhook_key",
]

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
MIN_KEY_BYTES = 16
_KEY_PREFIX = "whsec_"
_SETTING = "SMILEBACK_WEBHOOK_SECRET"


def webhook_key(secret: SecretStr) -> bytes:
    """The HMAC key of a secret: the decoded base64 of `whsec_<base64>` (the Standard Webhooks
    form), else the string's UTF-8 bytes. ConfigError naming the variable (never the value)
    when it is empty, not base64 after `whsec_`, or shorter than MIN_KEY_BYTES."""
    value = secret.get_secret_value()
    if not value:
        raise ConfigError(f"{_SETTING} is empty: set a whsec_<base64> secret")
    if value.startswith(_KEY_PREFIX):
        try:
            key = base64.b64decode(value.removeprefix(_KEY_PREFIX), validate=True)
        except (binascii.Error, ValueError):
            raise ConfigError(f"{_SETTING}: whsec_ must be followed by base64") from None
    else:
        key = value.encode()
    if len(key) < MIN_KEY_BYTES:
        raise ConfigError(f"{_SETTING}: the key must be at least {MIN_KEY_BYTES} bytes")
    return key


def webhook_id(notification: Notification) -> str:
    """The notification's `webhook-id`: its incident, kind, level and planned time. The outbox
    stores all four once, so every retry repeats the id, and no other notification has it."""
    n = notification
    return f"{n.incident_id}.{n.kind}.{n.level or 0}.{n.at.astimezone(UTC):%Y%m%dT%H%M%S%fZ}"


def webhook_body(*, notification: Notification, sent_at: datetime) -> dict[str, Any]:
    """The JSON a webhook receives: the event, its dedup key and the context packet; for a
    take-over, `responders` is the previous owner, `responder` the new one and `reason` why."""
    n = notification
    return {
        "event": str(n.kind),
        "dedup_key": n.dedup_key,
        "summary": n.summary,
        "severity": str(n.severity),
        "brand": n.brand,
        "rule": n.rule,
        "level": n.level,
        "responders": [r.model_dump(mode="json") for r in n.responders],
        "responder": n.responder,
        "reason": n.reason,
        "link": n.link,
        "context": n.packet_json(),
        "sent_at": sent_at.isoformat(),
    }


def dumps(payload: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON; values JSON lacks (datetimes, enums) become strings."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str).encode()


class WebhookNotifier(Notifier):
    """POSTs the notification as JSON, signed when a secret is given (None: unsigned)."""

    name = "webhook"

    def __init__(
        self,
        url: str,
        secret: SecretStr | None,
        timeout_s: float = 5.0,
        client: httpx.Client | None = None,
        *,
        now: Callable[[], float] = time.time,
    ) -> None:
        # Only the host in messages: webhook URLs often carry a token in their path.
        self._host = check_url(url, what="webhook URL")
        self._url = url
        self._signer = Webhook(webhook_key(secret)) if secret is not None else None
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(timeout=timeout_s)
        self._timeout_s = timeout_s
        self._now = now

    def __repr__(self) -> str:
        signed = "signed" if self._signer is not None else "unsigned"
        return f"WebhookNotifier(host={self._host!r}, {signed})"

    def send(self, *, notification: Notification) -> None:
        msg_id = webhook_id(notification)
        sent_at = datetime.fromtimestamp(int(self._now()), UTC)
        body = dumps(webhook_body(notification=notification, sent_at=sent_at))
        headers = {
            "Content-Type": "application/json",
            ID_HEADER: msg_id,
            TIMESTAMP_HEADER: str(int(sent_at.timestamp())),
        }
        if self._signer is not None:
            # A str: every release of the library signs one as its UTF-8 bytes, `body` exactly.
            headers[SIGNATURE_HEADER] = self._signer.sign(msg_id, sent_at, body.decode())
        post_json(
            self._client,
            name=self.name,
            host=self._host,
            url=self._url,
            body=body,
            headers=headers,
            timeout_s=self._timeout_s,
        )

    def close(self) -> None:
        if self._owns_client:
            self._client.close()
