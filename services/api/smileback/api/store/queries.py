"""The read queries behind the API's listings: filters in, a SELECT out (newest first)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session, defer

from smileback.api.store.models import IncidentRow, MentionRow, QueueItemRow
from smileback.common.events import QueueName, ReachTier
from smileback.common.incident_status import IncidentStatus

__all__ = [
    "IncidentFilter",
    "MentionFilter",
    "escape_like",
    "incident_query",
    "mention_query",
    "queue_query",
    "thread_counts",
    "waiting",
]


@dataclass(frozen=True)
class MentionFilter:
    """Every mention search filter; None means "any"."""

    brand: str | None = None
    platform: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    min_negativity: float | None = None
    min_reach_tier: ReachTier | None = None
    is_negative: bool | None = None
    text: str | None = None
    author: str | None = None
    thread_root_id: str | None = None


@dataclass(frozen=True)
class IncidentFilter:
    status: str | None = None
    unresolved: bool = False  # open or acknowledged: what still wants a responder
    severity: str | None = None
    brand: str | None = None


def mention_query(f: MentionFilter) -> Select[MentionRow]:
    """Mentions matching every given filter (ordering and paging are the caller's)."""
    # The full event JSON is for replays and redaction, never shown in a listing.
    query = select(MentionRow).options(defer(MentionRow.payload))
    if f.brand is not None:
        query = query.where(MentionRow.brand == f.brand)
    if f.platform is not None:
        query = query.where(MentionRow.platform == f.platform)
    if f.since is not None:
        query = query.where(MentionRow.created_at >= f.since)
    if f.until is not None:
        query = query.where(MentionRow.created_at < f.until)
    if f.min_negativity is not None:
        query = query.where(MentionRow.negativity >= f.min_negativity)
    if f.min_reach_tier is not None:
        query = query.where(MentionRow.reach_tier.in_(_tiers_from(f.min_reach_tier)))
    if f.is_negative is not None:
        query = query.where(MentionRow.is_negative == f.is_negative)
    if f.text is not None:
        query = query.where(MentionRow.text.ilike(f"%{escape_like(f.text)}%", escape="\\"))
    if f.author is not None:
        # Sources store handles with or without the "@"; both forms hit the lower() index.
        handle = f.author.removeprefix("@").lower()
        query = query.where(func.lower(MentionRow.author_handle).in_([handle, f"@{handle}"]))
    if f.thread_root_id is not None:
        query = query.where(MentionRow.thread_root_id == f.thread_root_id)
    return query


def incident_query(f: IncidentFilter) -> Select[IncidentRow]:
    """Incidents matching every given filter."""
    # A listing shows the packet's author (a column property), never the packet itself.
    query = select(IncidentRow).options(defer(IncidentRow.context))
    if f.status is not None:
        query = query.where(IncidentRow.status == f.status)
    if f.unresolved:
        query = query.where(IncidentRow.status != str(IncidentStatus.RESOLVED))
    if f.severity is not None:
        query = query.where(IncidentRow.severity == f.severity)
    if f.brand is not None:
        query = query.where(IncidentRow.brand == f.brand)
    return query


def queue_query(
    *, queue: QueueName, answered: bool | None, brand: str | None
) -> Select[QueueItemRow, MentionRow]:
    """Entries of one queue with their mention (None once purged or never stored)."""
    query = (
        select(QueueItemRow, MentionRow)
        .outerjoin(MentionRow, MentionRow.id == QueueItemRow.mention_id)
        .where(QueueItemRow.queue == str(queue), QueueItemRow.dismissed.is_(False))
    )
    if answered is not None:
        query = query.where(QueueItemRow.answered == answered)
    if brand is not None:
        query = query.where(QueueItemRow.brand == brand)
    return query


def waiting(session: Session, *, queue: QueueName) -> tuple[int, datetime | None]:
    """How many entries of `queue` wait for an answer, and when the oldest was queued (one
    query along the queue's index)."""
    count, oldest = session.execute(
        select(func.count(), func.min(QueueItemRow.at)).where(
            QueueItemRow.queue == str(queue),
            QueueItemRow.answered.is_(False),
            QueueItemRow.dismissed.is_(False),
        )
    ).one()
    return int(count or 0), oldest


def thread_counts(session: Session, *, brand: str, thread_root_id: str) -> tuple[int, int]:
    """How many mentions of a brand's thread are stored, and how many of them are negative
    (one query along the thread's index)."""
    count, negatives = session.execute(
        select(func.count(), func.sum(case((MentionRow.is_negative, 1), else_=0))).where(
            MentionRow.thread_root_id == thread_root_id, MentionRow.brand == brand
        )
    ).one()
    return int(count or 0), int(negatives or 0)


def _tiers_from(lowest: ReachTier) -> Sequence[str]:
    tiers = list(ReachTier)
    return [str(tier) for tier in tiers[tiers.index(lowest) :]]


def escape_like(text: str) -> str:
    """`text` as a literal inside a LIKE pattern."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
