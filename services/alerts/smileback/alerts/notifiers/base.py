"""The notifier seam: one small interface between a notification and whoever wakes a human.

Contract of `Notifier.send(notification=...)`:
- deliver once per call, or raise `DeliveryError` with a short reason (an HTTP status, a
  transport failure); translate every foreign exception;
- raise `NotifyError(permanent=True)` when retrying cannot help (a 4xx other than 408/429,
  a 5xx SMTP reply): the outbox dead-letters it with the reason; anything else is retried;
- never retry by itself: the outbox does, with backoff, across restarts;
- be safe to call again with the same notification: receivers dedupe on `dedup_key`
  (PagerDuty's) or on an id derived from the stored notification (`webhook-id`);
- never put a secret in an exception, a log line or `repr`;
- link to a post only through `Notification.post_url` (an https link, or none).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from enum import StrEnum
from typing import Any

import httpx
from pydantic import AliasChoices, AwareDatetime, BaseModel, ConfigDict, Field

from smileback.alerts.policy import PagerDutySeverity
from smileback.common.errors import DeliveryError
from smileback.common.events import Severity, page_dedup_key
from smileback.common.packet import ContextPacket
from smileback.common.redaction import redact_packet, redacted_summary

__all__ = [
    "Notification",
    "NotificationKind",
    "Notifier",
    "NotifyError",
    "ResponderRef",
    "https_link",
]

_MAX_LINK_CHARS = 3000  # Slack refuses a whole message over one longer button URL


def https_link(url: str | None) -> str | None:
    """`url` when it is an absolute https:// link a person may safely be shown as a button;
    None for anything else (javascript:, data:, http:, relative, credentials in the URL,
    whitespace or control characters, too long), so a hostile post cannot choose a link."""
    if (
        not url
        or len(url) > _MAX_LINK_CHARS
        or any(c.isspace() or not c.isprintable() for c in url)
    ):
        return None
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return None
    if parsed.scheme != "https" or not parsed.host or parsed.userinfo:
        return None
    return url


class NotificationKind(StrEnum):
    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    # The smile-back queue's service level: entries waiting too long, to the team's channel.
    DIGEST = "digest"
    # A responder took over an incident someone else held: to that previous owner only.
    TAKEN_OVER = "taken_over"


class ResponderRef(BaseModel):
    """Who a page is for, as the notifiers need it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str = ""
    email: str | None = None
    slack: str | None = None

    @property
    def label(self) -> str:
        """The display name, or the id."""
        return self.name or self.id


class Notification(BaseModel):
    """One message to one target, stored in the outbox (as JSON) before it is sent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    incident_id: str
    reopenings: int = 0  # of the incident when this was planned: see `dedup_key`
    kind: NotificationKind
    brand: str
    rule: str
    severity: Severity
    pagerduty_severity: PagerDutySeverity = "critical"
    summary: str
    packet: ContextPacket | None = None  # the incident's, once it has one
    level: int | None = None  # 1-based escalation level of a trigger
    responders: list[ResponderRef] = []
    recipient: str | None = None  # the address, for email
    # Who acknowledged, resolved or took over (`actor` in notifications stored before).
    responder: str | None = Field(default=None, validation_alias=AliasChoices("responder", "actor"))
    reason: str | None = None  # why a take-over was made, in the new owner's words
    # The responder's event a take-over notice answers: a redelivered event is told by it.
    event_id: str | None = None
    link: str | None = None  # the incident on the console, when configured
    at: AwareDatetime

    @property
    def dedup_key(self) -> str:
        """The incident id, and after the n-th reopening `<id>#r<n>`: a receiver that dropped
        the key at the resolve (PagerDuty ignores acknowledge/resolve for it from then on) sees
        the flare-up as a new alert."""
        return page_dedup_key(incident_id=self.incident_id, reopenings=self.reopenings)

    @property
    def post_url(self) -> str | None:
        """The link to the post that paged, if the packet has one and it is https."""
        return https_link(self.packet.what.url) if self.packet is not None else None

    def packet_json(self) -> dict[str, Any]:
        """The packet as the JSON receivers get (PagerDuty details, the webhook's context)."""
        return self.packet.model_dump(mode="json") if self.packet is not None else {}

    def redacted(self, *, mention_id: str) -> Notification:
        """This notification without a deleted post's text, link and author."""
        if self.packet is None:
            return self
        packet = redact_packet(self.packet, mention_id=mention_id)
        if packet == self.packet:
            return self
        summary = self.summary
        if self.packet.mention_id == mention_id:
            summary = redacted_summary(severity=self.severity, brand=self.brand, mentions=None)
            packet = packet.model_copy(update={"summary": summary})
        return self.model_copy(update={"packet": packet, "summary": summary})


class NotifyError(DeliveryError):
    """A failed delivery; `permanent` ones are dead-lettered, others retried."""

    def __init__(
        self, message: str, *, permanent: bool = False, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after_s = retry_after_s


class Notifier(ABC):
    """Delivers notifications somewhere; see the module docstring for the contract."""

    name: str = "notifier"

    @abstractmethod
    def send(self, *, notification: Notification) -> None:
        """Deliver `notification` or raise DeliveryError."""

    def close(self) -> None:  # noqa: B027 - optional hook: most notifiers hold nothing
        """Release connections (nothing by default)."""
