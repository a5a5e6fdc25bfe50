"""Query parameter types and checks shared by the routers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query

from smileback.api.errors import ApiError

__all__ = ["Cursor", "Limit", "Since", "Until", "Word", "as_utc", "time_range"]

Limit = Annotated[int, Query(ge=1, le=500, description="Items per page.")]
Cursor = Annotated[
    str | None, Query(max_length=1000, description="`next_cursor` of the previous page.")
]
Since = Annotated[
    datetime | None, Query(description="At or after this time (ISO 8601; naive = UTC).")
]
Until = Annotated[datetime | None, Query(description="Before this time (ISO 8601; naive = UTC).")]
# A short free-text filter value (brand, platform, handle, id).
Word = Annotated[str | None, Query(min_length=1, max_length=512)]


def time_range(
    since: datetime | None, until: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """Both bounds in UTC; 422 when a bound is out of range or since is after until."""
    start, end = as_utc(since, "since"), as_utc(until, "until")
    if start is not None and end is not None and start > end:
        raise ApiError(status=422, code="invalid_request", message="since is after until")
    return start, end


def as_utc(value: datetime | None, name: str) -> datetime | None:
    """A query time in UTC (naive is taken as UTC); 422 naming `name` when out of range."""
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError as exc:
        raise ApiError(
            status=422, code="invalid_request", message=f"{name} is out of range"
        ) from exc
