"""Notifiers: the seam between a page and the system that wakes a human.

Contract of `Notifier.send(page=...)`:
- deliver the page once per call, or raise `DeliveryError` with a short reason
  (an HTTP status, a transport failure); translate every foreign exception;
- never retry by itself (`smileback.alerts.delivery.deliver` does, with backoff);
- be safe to call again with the same page: receivers dedupe on `page.incident_id`;
- never put a secret in an exception, a log line or `repr`.
PagerDuty, Slack and email notifiers arrive in later issues behind this same class.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

import httpx
from pydantic import SecretStr

from smileback.common.errors import ConfigError, DeliveryError
from smileback.common.events import IncidentEvent, Severity

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "ConsoleNotifier",
    "Notifier",
    "Page",
    "WebhookNotifier",
    "sign",
    "verify_signature",
]

TIMESTAMP_HEADER = "X-Smileback-Timestamp"
SIGNATURE_HEADER = "X-Smileback-Signature"


@dataclass(frozen=True)
class Page:
    """One page to deliver; `incident_id` is its dedup key."""

    incident_id: str
    summary: str
    severity: Severity
    context: Mapping[str, Any]
    at: datetime

    @classmethod
    def of(cls, event: IncidentEvent) -> Page:
        """The page a `paged` incident event asks for."""
        return cls(
            incident_id=event.incident_id,
            summary=event.summary,
            severity=event.severity,
            context=dict(event.context),
            at=event.at,
        )

    def to_json(self) -> bytes:
        """The page as JSON bytes, e.g. for a DLQ record that can be replayed."""
        return _dumps(
            {
                "dedup_key": self.incident_id,
                "summary": self.summary,
                "severity": str(self.severity),
                "context": dict(self.context),
                "at": self.at.isoformat(),
            }
        )


class Notifier(ABC):
    """Delivers pages somewhere; see the module docstring for the contract."""

    name: str = "notifier"

    @abstractmethod
    def send(self, *, page: Page) -> None:
        """Deliver `page` or raise DeliveryError."""

    def close(self) -> None:  # noqa: B027 - optional hook: most notifiers hold nothing
        """Release connections (nothing by default)."""


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


class WebhookNotifier(Notifier):
    """POSTs the page as JSON, HMAC-signed when a secret is set."""

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
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise ConfigError("webhook URL is not a valid URL") from exc
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ConfigError("webhook URL must be http(s)://host/...")
        self._url = url
        self._secret = secret
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(timeout=timeout_s)
        self._timeout_s = timeout_s
        self._now = now
        # Only the host in messages: webhook URLs often carry a token in their path.
        self._host = parsed.host

    def __repr__(self) -> str:
        signed = "signed" if self._secret is not None else "unsigned"
        return f"WebhookNotifier(host={self._host!r}, {signed})"

    def send(self, *, page: Page) -> None:
        timestamp = str(int(self._now()))
        body = _dumps(
            {
                "dedup_key": page.incident_id,
                "summary": page.summary,
                "severity": str(page.severity),
                "context": dict(page.context),
                "sent_at": datetime.fromtimestamp(int(timestamp), UTC).isoformat(),
            }
        )
        headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp}
        if self._secret is not None:
            secret = self._secret.get_secret_value().encode()
            headers[SIGNATURE_HEADER] = sign(secret=secret, timestamp=timestamp, body=body)
        try:
            response = self._client.post(
                self._url, content=body, headers=headers, timeout=self._timeout_s
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(
                f"webhook {self._host}: {type(exc).__name__} (no response)"
            ) from None  # `from None`: the chained error would repeat the full URL
        if not response.is_success:
            raise DeliveryError(
                f"webhook {self._host}: HTTP {response.status_code} {response.reason_phrase}"
            )

    def close(self) -> None:
        if self._owns_client:
            self._client.close()


class ConsoleNotifier(Notifier):
    """Prints a short human block per page: for the demo and for a terminal."""

    name = "console"

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def send(self, *, page: Page) -> None:
        ctx = page.context
        lines = [
            f"PAGE [{page.severity}] {page.incident_id}",
            f"  {page.summary}",
            f"  why: negativity {_num(ctx.get('negativity'))}, reach {ctx.get('reach_tier', '?')}"
            f", velocity {_num(ctx.get('thread_velocity'))}"
            f", top terms {', '.join(map(str, ctx.get('explanation', []))) or '-'}",
        ]
        if ctx.get("url"):
            lines.append(f"  link: {ctx['url']}")
        try:
            self._stream.write("\n".join(lines) + "\n")
            self._stream.flush()
        except (OSError, ValueError) as exc:  # ValueError: the stream is closed
            raise DeliveryError(f"console: {type(exc).__name__}") from exc


def _num(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, int | float) else "?"


def _dumps(payload: Mapping[str, Any]) -> bytes:
    # default=str: context values that JSON lacks (datetimes, enums) still serialise.
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str).encode()
