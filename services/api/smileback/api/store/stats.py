"""Mention volume and negative share per time bucket and brand, counted in SQL.

Buckets are aligned to multiples of the interval since the Unix epoch (UTC), so the
same interval always yields the same bucket edges.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import BigInteger, ColumnElement, Integer, case, cast, func, select
from sqlalchemy.orm import Session

from smileback.api.store.models import MentionRow

__all__ = ["Bucket", "bucket_of", "bucket_start", "count_buckets", "fill_buckets"]


@dataclass(frozen=True)
class Bucket:
    """Counts of one brand in one bucket (`index` = bucket start / interval, in seconds)."""

    brand: str | None
    index: int
    volume: int
    negative: int


def bucket_of(at: datetime, *, interval_s: int) -> int:
    """The index of the bucket holding `at`."""
    return int(at.timestamp()) // interval_s


def count_buckets(
    *,
    session: Session,
    since: datetime,
    until: datetime,
    interval_s: int,
    brands: Sequence[str] | None,
) -> list[Bucket]:
    """Non-empty buckets of mentions created in [since, until), by brand."""
    index = _bucket_expression(session, interval_s=interval_s).label("bucket")
    negative = func.sum(case((MentionRow.is_negative, 1), else_=0))
    query = (
        select(MentionRow.brand, index, func.count(), negative)
        .where(MentionRow.created_at >= since, MentionRow.created_at < until)
        .group_by(MentionRow.brand, index)
    )
    if brands:
        query = query.where(MentionRow.brand.in_(brands))
    return [
        Bucket(brand=brand, index=int(bucket), volume=int(volume), negative=int(neg or 0))
        for brand, bucket, volume, neg in session.execute(query)
    ]


def fill_buckets(
    buckets: Sequence[Bucket], *, first: int, last: int
) -> dict[str | None, list[Bucket]]:
    """Every bucket from `first` to `last` per brand, empty ones counted as zero."""
    by_brand: dict[str | None, dict[int, Bucket]] = {}
    for bucket in buckets:
        by_brand.setdefault(bucket.brand, {})[bucket.index] = bucket
    return {
        brand: [
            found.get(i, Bucket(brand=brand, index=i, volume=0, negative=0))
            for i in range(first, last + 1)
        ]
        for brand, found in sorted(by_brand.items(), key=lambda item: item[0] or "")
    }


def bucket_start(index: int, *, interval_s: int) -> datetime:
    """When a bucket starts."""
    return datetime.fromtimestamp(index * interval_s, tz=UTC)


def _bucket_expression(session: Session, *, interval_s: int) -> ColumnElement[int]:
    column = MentionRow.created_at
    if session.get_bind().dialect.name == "postgresql":
        epoch = func.extract("epoch", column)
        return cast(func.floor(epoch / interval_s), BigInteger)
    # SQLite keeps naive UTC text; strftime('%s') reads it as UTC seconds.
    return cast(func.strftime("%s", column), Integer) // interval_s
