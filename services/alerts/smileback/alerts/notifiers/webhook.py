"""A generic JSON webhook, signed with HMAC-SHA256 over a timestamp and the body.

Receivers verify with `verify_signature` (constant time, within ±300 s of the timestamp).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import SecretStr

from smileback.alerts.notifiers.base import Notification, Notifier
from smileback.alerts.notifiers.http import check_url, post_json

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "WebhookNotifier",
    "dumps",
    "sign",
    "verify_signature",
    "webhook_body",
]

TIMESTAMP_HEADER = "X-Smileback-Timestamp"
SIGNATURE_HEADER = "X-Smileback-Signature"


def sign(*, secret: bytes, timestamp: str, body: bytes) -> str:
    """The signature header value: v1=<hex HMAC-SHA256 of "<timestamp>." + body>."""
    digest = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def verify_signature(
    *,
    secret: bytes,
    timestamp: str,
    body: bytes,
    signature: str,
    now: float,
    tolerance_s: int = 300,
) -> bool:
    """True when `signature` signs `body` at `timestamp`, within `tolerance_s` of `now`."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent) > tolerance_s:
        return False  # stale or from the future: a replay, or a badly skewed clock
    expected = sign(secret=secret, timestamp=timestamp, body=body)
    return hmac.compare_digest(expected.encode(), signature.encode())


def webhook_body(*, notification: Notification, sent_at: datetime) -> dict[str, Any]:
    """The JSON a webhook receives: the event, its dedup key and the context packet."""
    n = notification
    return {
        "event": str(n.kind),
        "dedup_key": n.incident_id,
        "summary": n.summary,
        "severity": str(n.severity),
        "brand": n.brand,
        "rule": n.rule,
        "level": n.level,
        "responders": [r.model_dump(mode="json") for r in n.responders],
        "actor": n.actor,
        "link": n.link,
        "context": n.packet_json(),
        "sent_at": sent_at.isoformat(),
    }


def dumps(payload: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON; values JSON lacks (datetimes, enums) become strings."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str).encode()


class WebhookNotifier(Notifier):
    """POSTs the notification as JSON, HMAC-signed when a secret is set."""

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
        self._secret = secret
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(timeout=timeout_s)
        self._timeout_s = timeout_s
        self._now = now

    def __repr__(self) -> str:
        signed = "signed" if self._secret is not None else "unsigned"
        return f"WebhookNotifier(host={self._host!r}, {signed})"

    def send(self, *, notification: Notification) -> None:
        timestamp = str(int(self._now()))
        sent_at = datetime.fromtimestamp(int(timestamp), UTC)
        body = dumps(webhook_body(notification=notification, sent_at=sent_at))
        headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp}
        if self._secret is not None:
            secret = self._secret.get_secret_value().encode()
            headers[SIGNATURE_HEADER] = sign(secret=secret, timestamp=timestamp, body=body)
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
