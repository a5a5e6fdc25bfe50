"""One notification bound for one target, as the outbox stores it. Pure data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from smileback.alerts.notifiers import Notification, NotificationKind

__all__ = ["OutboxItem", "Pending"]


@dataclass(frozen=True)
class OutboxItem:
    """To store: at most one row per (incident, target, kind, step), ever."""

    incident_id: str
    target: str  # e.g. "pagerduty", "slack", "email:alice"
    notifier: str  # which notifier delivers it
    kind: NotificationKind
    step: int  # the escalation firing number of a trigger; 0 for follow-ups
    notification: Notification
    ingested_at: datetime | None = None  # of the mention behind a page, for its latency


@dataclass(frozen=True)
class Pending:
    """A stored row claimed for one delivery attempt."""

    id: int
    incident_id: str
    target: str
    notifier: str
    kind: NotificationKind
    attempts: int  # including this one
    created_at: datetime
    ingested_at: datetime | None
    notification: Notification
