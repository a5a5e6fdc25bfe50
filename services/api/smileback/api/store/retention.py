"""Retention: mentions (and their queue entries) older than the cutoff are deleted; incidents,
their events and the context they quote are kept.

Mentions go in batches, one transaction each, so the projector and the API are never
blocked for long and an interrupted purge simply continues next time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select

from smileback.api.store.models import MentionRow, QueueItemRow

__all__ = ["PurgeReport", "purge_before", "retention_cutoff"]

_BATCH = 5000


@dataclass(frozen=True)
class PurgeReport:
    """Rows deleted by one purge."""

    mentions: int
    queue_items: int


def retention_cutoff(*, now: datetime, days: int) -> datetime:
    """The oldest time still kept."""
    return now - timedelta(days=days)


def purge_before(*, engine: Engine, before: datetime, batch_size: int = _BATCH) -> PurgeReport:
    """Delete mentions created, and queue entries queued, before `before`."""
    mentions = 0
    while True:
        with engine.begin() as connection:
            oldest = (
                select(MentionRow.id)
                .where(MentionRow.created_at < before)
                .limit(batch_size)
                .scalar_subquery()
            )
            deleted = connection.execute(delete(MentionRow).where(MentionRow.id.in_(oldest)))
        mentions += deleted.rowcount
        if deleted.rowcount < batch_size:
            break
    # The queues hold a few kind or triaged mentions each: one statement is enough.
    with engine.begin() as connection:
        queued = connection.execute(delete(QueueItemRow).where(QueueItemRow.at < before))
    return PurgeReport(mentions=mentions, queue_items=queued.rowcount)
