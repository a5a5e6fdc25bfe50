"""Time series of mention volume and negative share, by interval and brand."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from smileback.api.deps import READ, ContextDep, SessionDep
from smileback.api.errors import ApiError, documented
from smileback.api.params import Since, Until, check_order
from smileback.api.schemas import Interval, StatsOut, StatsPoint, StatsSeries
from smileback.api.store.stats import bucket_of, bucket_start, count_buckets, fill_buckets

__all__ = ["MAX_BUCKETS", "mention_stats", "router"]

MAX_BUCKETS = 2000
_DEFAULT_SPAN = timedelta(hours=24)

router = APIRouter(prefix="/v1/stats", tags=["stats"], dependencies=[Depends(READ)])


@router.get("/mentions", response_model=StatsOut, responses=documented())
def mention_stats(
    session: SessionDep,
    context: ContextDep,
    interval: Interval = Interval.HOUR,
    since: Since = None,
    until: Until = None,
    brand: Annotated[
        list[str] | None,
        Query(max_length=20, description="Brands to include (repeat the parameter); all if none."),
    ] = None,
) -> StatsOut:
    """Mentions and negative mentions per bucket and brand; the last 24 hours by default."""
    end = until or context.clock()
    start = since or end - _DEFAULT_SPAN
    check_order(start, end)
    seconds = interval.seconds
    first, last = bucket_of(start, interval_s=seconds), bucket_of(end, interval_s=seconds)
    if last - first + 1 > MAX_BUCKETS:
        raise ApiError(
            status=422,
            code="invalid_request",
            message=f"more than {MAX_BUCKETS} buckets: use a longer interval or a shorter range",
        )
    buckets = count_buckets(
        session=session, since=start, until=end, interval_s=seconds, brands=brand
    )
    series = fill_buckets(buckets, first=first, last=last)
    return StatsOut(
        interval=interval,
        since=start,
        until=end,
        series=[
            StatsSeries(
                brand=name,
                points=[
                    StatsPoint(
                        start=bucket_start(b.index, interval_s=seconds),
                        volume=b.volume,
                        negative=b.negative,
                        negative_share=b.negative / b.volume if b.volume else None,
                    )
                    for b in points
                ],
            )
            for name, points in series.items()
        ],
    )
