"""PagerDuty Events API v2: trigger, acknowledge and resolve, deduplicated by incident id.

Trigger events carry `payload.summary` (<= 1,024 chars), `source`, `severity` (critical,
error, warning or info), `timestamp`, `component`, `group`, `class`, `custom_details` (the
context packet) and `links`; acknowledge and resolve carry only the routing and dedup keys.
429 and 5xx are retried; any other 4xx is dead-lettered with PagerDuty's reason.
"""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import SecretStr

from smileback.alerts.notifiers.base import Notification, NotificationKind, Notifier
from smileback.alerts.notifiers.http import check_url, post_json
from smileback.alerts.notifiers.webhook import dumps
from smileback.common.packet import MAX_SUMMARY_CHARS, clip

__all__ = ["DEFAULT_URL", "MAX_DEDUP_KEY_CHARS", "PagerDutyNotifier", "pagerduty_event"]

DEFAULT_URL = "https://events.pagerduty.com/v2/enqueue"
MAX_DEDUP_KEY_CHARS = 255
_CLIENT = "Smileback"


def pagerduty_event(*, notification: Notification, routing_key: str) -> dict[str, Any]:
    """The Events API v2 body for one notification."""
    n = notification
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": str(n.kind),
        "dedup_key": n.dedup_key[:MAX_DEDUP_KEY_CHARS],
    }
    if n.kind is not NotificationKind.TRIGGER:
        return event
    details = {
        **n.packet_json(),
        "level": n.level,
        "responders": [r.label for r in n.responders],
    }
    event["payload"] = {
        "summary": clip(n.summary, MAX_SUMMARY_CHARS) or n.incident_id,
        "source": f"smileback:{n.brand}",
        "severity": n.pagerduty_severity,
        "timestamp": n.at.isoformat(),
        "component": (n.packet.who.platform if n.packet else "") or "social",
        "group": n.brand,
        "class": n.rule,
        "custom_details": details,
    }
    links = [{"href": url, "text": text} for url, text in _links(n) if url]
    if links:
        event["links"] = links
    event["client"] = _CLIENT
    if n.link:
        event["client_url"] = n.link
    return event


class PagerDutyNotifier(Notifier):
    """Sends Events API v2 events to one integration (routing key)."""

    name = "pagerduty"

    def __init__(
        self,
        *,
        routing_key: SecretStr,
        url: str = DEFAULT_URL,
        timeout_s: float = 10.0,
        client: httpx.Client | None = None,
    ) -> None:
        self._host = check_url(url, what="PagerDuty URL")
        self._url = url
        self._routing_key = routing_key
        self._timeout_s = timeout_s
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(timeout=timeout_s)

    def __repr__(self) -> str:
        return f"PagerDutyNotifier(host={self._host!r})"

    def send(self, *, notification: Notification) -> None:
        body = dumps(
            pagerduty_event(
                notification=notification, routing_key=self._routing_key.get_secret_value()
            )
        )
        post_json(
            self._client,
            name=self.name,
            host=self._host,
            url=self._url,
            body=body,
            headers={"Content-Type": "application/json"},
            timeout_s=self._timeout_s,
            explain=_explain,
        )

    def close(self) -> None:
        if self._owns_client:
            self._client.close()


def _explain(response: httpx.Response) -> str:
    """PagerDuty's own words for a refused event: `message` and `errors` of its JSON reply."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    parts = [str(body.get("message") or ""), *map(str, body.get("errors") or [])]
    return clip("; ".join(p for p in parts if p), 300)


def _links(n: Notification) -> list[tuple[str | None, str]]:
    return [(n.post_url, "The post"), (n.link, "Incident in Smileback")]
