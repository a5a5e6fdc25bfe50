"""Deliver the outbox: exponential backoff with jitter, dead letters with reasons, restart-safe.

Each pass claims due rows (leased, so a crash hands them back after the lease), sends each
through its notifier, and records the outcome. A retryable failure waits
`backoff_delay(attempt)` (at least the receiver's Retry-After); a permanent one, or a row
older than `max_age`, becomes a dead letter. Everything lives in the table, so a new
sender after a restart resumes exactly where the old one stopped.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy.exc import SQLAlchemyError

from smileback.alerts.metrics import OUTBOX_DEPTH, OUTBOX_OLDEST_AGE, PAGE_LATENCY, PAGES
from smileback.alerts.notifiers import NotificationKind, Notifier, NotifyError
from smileback.alerts.outbox.item import Pending
from smileback.alerts.outbox.store import OutboxStore
from smileback.common.backoff import Backoff, backoff_delay
from smileback.common.clock import Clock
from smileback.common.errors import DeliveryError
from smileback.common.events import PageDelivery, PageOutcome

__all__ = ["OutboxSender", "SendReport"]

log = structlog.get_logger(__name__)


def _sleep(seconds: float) -> bool:
    time.sleep(seconds)
    return False


@dataclass(frozen=True)
class SendReport:
    """What one pass did."""

    delivered: int = 0
    retried: int = 0
    dead: int = 0

    @property
    def tried(self) -> int:
        """Rows attempted in the pass."""
        return self.delivered + self.retried + self.dead


class OutboxSender:
    """Sends due outbox rows through the notifier each row names."""

    def __init__(
        self,
        *,
        store: OutboxStore,
        notifiers: Mapping[str, Notifier],
        clock: Clock,
        backoff_s: float = 2.0,
        cap_s: float = 300.0,
        max_age: timedelta = timedelta(days=1),
        lease_s: float = 120.0,
        jitter: Callable[[], float] = random.random,
        wait: Callable[[float], bool] = _sleep,
    ) -> None:
        self._store = store
        self._notifiers = notifiers
        self._clock = clock
        self._backoff_s, self._cap_s = backoff_s, cap_s
        self._max_age = max_age
        self._lease_s = lease_s
        self._jitter = jitter
        self._wait = wait

    def run_once(self, *, limit: int = 50) -> SendReport:
        """Claim and try every due row (up to `limit`); returns the counts."""
        delivered = retried = dead = 0
        for row in self._store.claim_due(now=self._clock(), lease_s=self._lease_s, limit=limit):
            outcome = self._try(row)
            delivered += outcome == "delivered"
            retried += outcome == "retried"
            dead += outcome == "dead_lettered"
        backlog = self._store.backlog()
        OUTBOX_DEPTH.set(backlog.depth)
        oldest_s = (self._clock() - backlog.oldest).total_seconds() if backlog.oldest else 0.0
        OUTBOX_OLDEST_AGE.set(max(0.0, oldest_s))
        return SendReport(delivered=delivered, retried=retried, dead=dead)

    def _try(self, row: Pending) -> str:
        notifier = self._notifiers.get(row.notifier)
        log_ = log.bind(incident_id=row.incident_id, target=row.target, kind=str(row.kind))
        if notifier is None:
            return self._dead(row, f"notifier {row.notifier!r} is not configured", log_)
        try:
            notifier.send(notification=row.notification)
        except DeliveryError as exc:
            now = self._clock()
            permanent = isinstance(exc, NotifyError) and exc.permanent
            if permanent or now - row.created_at >= self._max_age:
                why = str(exc) if permanent else f"gave up after {row.attempts} attempts: {exc}"
                return self._dead(row, why, log_)
            delay = backoff_delay(
                attempt=row.attempts,
                backoff_s=self._backoff_s,
                jitter=self._jitter(),
                cap_s=self._cap_s,
            )
            if isinstance(exc, NotifyError) and exc.retry_after_s is not None:
                delay = max(delay, min(exc.retry_after_s, self._cap_s))
            self._store.retry(
                row_id=row.id,
                at=now + timedelta(seconds=delay),
                error=str(exc),
                # Only a page's first failure is reported: the API shows it once, not per retry.
                page=_page(row, PageOutcome.FAILED, now=now) if row.attempts == 1 else None,
            )
            PAGES.labels(notifier=row.notifier, kind=str(row.kind), outcome="retried").inc()
            log_.warning(
                "delivery failed; will retry",
                attempt=row.attempts,
                error=str(exc),
                retry_in_s=round(delay, 2),
            )
            return "retried"
        now = self._clock()
        page = _page(row, PageOutcome.DELIVERED, now=now)
        self._settle(lambda: self._store.delivered(row_id=row.id, now=now, page=page))
        PAGES.labels(notifier=row.notifier, kind=str(row.kind), outcome="delivered").inc()
        if row.kind is NotificationKind.TRIGGER and row.ingested_at is not None:
            PAGE_LATENCY.labels(notifier=row.notifier).observe(
                max(0.0, (now - row.ingested_at).total_seconds())
            )
        log_.info("delivered", notifier=row.notifier, attempt=row.attempts)
        return "delivered"

    def _settle(self, record: Callable[[], None]) -> None:
        """Record a delivery that happened, however long the database is away: a delivered
        row left unrecorded would be sent again once its lease ran out, a duplicate page.
        Raises only when `wait` says the sender is stopping."""
        backoff = Backoff(base_s=0.5, cap_s=10.0)
        while True:
            try:
                record()
                return
            except SQLAlchemyError:
                if self._wait(backoff.next()):
                    raise

    def _dead(self, row: Pending, reason: str, log_: structlog.stdlib.BoundLogger) -> str:
        page = _page(row, PageOutcome.DEAD_LETTERED, now=self._clock())
        self._store.dead(row_id=row.id, error=reason, page=page)
        PAGES.labels(notifier=row.notifier, kind=str(row.kind), outcome="dead_lettered").inc()
        log_.error("dead-lettered", notifier=row.notifier, error=reason)
        return "dead_lettered"


def _page(row: Pending, outcome: PageOutcome, *, now: datetime) -> PageDelivery | None:
    """What the API shows of a trigger's outcome; None for a follow-up."""
    if row.kind is not NotificationKind.TRIGGER:
        return None
    n = row.notification
    return PageDelivery(
        notifier=row.notifier,
        target=row.target,
        responders=[r.id for r in n.responders],
        level=n.level,
        outcome=outcome,
        at=now,
    )
