"""Deliver one page with retries: exponential backoff with jitter.

In-process retries only until the persisted outbox (a later issue) takes over; a page
that still fails is the caller's to keep (the handler dead-letters it).
"""

from __future__ import annotations

import random
from collections.abc import Callable

import structlog

from smileback.alerts.notifiers import Notifier, Page
from smileback.common.errors import DeliveryError

__all__ = ["backoff_delay", "deliver"]

log = structlog.get_logger(__name__)

MAX_BACKOFF_S = 30.0


def backoff_delay(
    *, attempt: int, backoff_s: float, jitter: float, cap_s: float = MAX_BACKOFF_S
) -> float:
    """Seconds to wait after failed attempt `attempt` (0-based); `jitter` in [0, 1)."""
    base = min(cap_s, backoff_s * 2.0**attempt)
    # Half fixed, half random: spreads retries of many workers without ever waiting 0 s.
    return base / 2 + base / 2 * jitter


def deliver(
    *,
    notifier: Notifier,
    page: Page,
    attempts: int = 5,
    backoff_s: float = 0.5,
    sleep: Callable[[float], None],
    jitter: Callable[[], float] = random.random,
) -> bool:
    """Send `page` through `notifier`, retrying DeliveryError; False after the last failure."""
    for attempt in range(attempts):
        try:
            notifier.send(page=page)
        except DeliveryError as exc:
            log.warning(
                "page delivery failed",
                notifier=notifier.name,
                incident_id=page.incident_id,
                attempt=attempt + 1,
                attempts=attempts,
                error=str(exc),
            )
            if attempt + 1 < attempts:
                sleep(backoff_delay(attempt=attempt, backoff_s=backoff_s, jitter=jitter()))
            continue
        log.info("page delivered", notifier=notifier.name, incident_id=page.incident_id)
        return True
    return False
