"""Query parameter types and checks shared by the routers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator

from smileback.api.errors import ApiError

__all__ = [
    "EARLIEST",
    "LATEST",
    "Cursor",
    "Limit",
    "Since",
    "Until",
    "UtcTime",
    "Word",
    "check_order",
    "utc_in_range",
]

# Every time the API takes lies in [EARLIEST, LATEST): far enough from datetime's own ends
# that a default span, a bucket or a schedule's rotation around it cannot overflow.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


def utc_in_range(value: datetime) -> datetime:
    """`value` in UTC (naive is taken as UTC); ValueError when outside [EARLIEST, LATEST)."""
    try:
        at = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        at = None
    if at is None or not EARLIEST <= at < LATEST:
        raise ValueError(f"must be from {EARLIEST.year} up to (not including) {LATEST.year}")
    return at


# A time parameter, already in UTC and in range: a bad one is a 422 before the handler runs.
UtcTime = Annotated[datetime, AfterValidator(utc_in_range)]

Limit = Annotated[int, Query(ge=1, le=500, description="Items per page.")]
Cursor = Annotated[
    str | None, Query(max_length=1000, description="`next_cursor` of the previous page.")
]
Since = Annotated[
    UtcTime | None,
    Query(description="At or after this time (ISO 8601; naive = UTC; years 1970-2999)."),
]
Until = Annotated[
    UtcTime | None, Query(description="Before this time (ISO 8601; naive = UTC; years 1970-2999).")
]
# A short free-text filter value (brand, platform, handle, id).
Word = Annotated[str | None, Query(min_length=1, max_length=512)]


def check_order(since: datetime | None, until: datetime | None) -> None:
    """422 when since is after until (UtcTime already checked each one)."""
    if since is not None and until is not None and since > until:
        raise ApiError(status=422, code="invalid_request", message="since is after until")
