"""The smile-back queue's service level: a digest to the team's channels when entries have
waited too long for a genuine reply, at most once per period. Pure.

A digest only counts entries (per brand, and the longest wait); it never quotes or answers
the people who wrote: replying stays a human's job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from smileback.alerts.notifiers import Notification, NotificationKind
from smileback.alerts.outbox.item import OutboxItem
from smileback.alerts.outbox.waiting import Overdue
from smileback.common.events import Severity

__all__ = ["DIGEST_ID", "DIGEST_NOTIFIERS", "DigestRule", "plan_digest"]

# The outbox key of every digest: its rows are stored like a page's, one per target and step.
DIGEST_ID = "digest:smile-back"
# The team's channels a digest may go to; never PagerDuty (nobody is woken for a digest).
DIGEST_NOTIFIERS = ("slack", "webhook", "email", "console")


@dataclass(frozen=True)
class DigestRule:
    """When an entry waits too long, how often a digest may go, and through what."""

    after: timedelta
    every: timedelta
    notifiers: tuple[str, ...]


def plan_digest(
    *,
    rule: DigestRule,
    overdue: Sequence[Overdue],
    last: tuple[int, datetime] | None,
    now: datetime,
    link_base: str | None = None,
) -> list[OutboxItem]:
    """The digest's outbox items, or none: nothing overdue, no channel, or the last digest
    (`last`: its step and when it was stored) went out less than `rule.every` ago."""
    total = sum(n for _, n, _ in overdue)
    if not total or not rule.notifiers or (last is not None and now - last[1] < rule.every):
        return []
    oldest = min(at for _, _, at in overdue)
    brands = ", ".join(f"{brand or 'no brand'} {n}" for brand, n, _ in overdue)
    summary = (
        f"{total} kind mention{'s' if total != 1 else ''} waited over {_span(rule.after)} for a"
        f" reply ({brands}); the longest {_span(now - oldest)}"
    )
    notification = Notification(
        incident_id=DIGEST_ID,
        kind=NotificationKind.DIGEST,
        brand="",
        rule="smile_back",
        severity=Severity.INFO,
        summary=summary,
        link=f"{link_base.rstrip('/')}/" if link_base else None,
        at=now,
    )
    step = last[0] + 1 if last is not None else 0
    return [
        OutboxItem(
            incident_id=DIGEST_ID,
            target=name,
            notifier=name,
            kind=NotificationKind.DIGEST,
            step=step,
            notification=notification,
        )
        for name in rule.notifiers
    ]


def _span(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
