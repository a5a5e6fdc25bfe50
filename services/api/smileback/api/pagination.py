"""Keyset pagination, newest first, with an opaque cursor of (time, id), and the count of
every row a listing's filters match (its `total`, where counting is cheap)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar, TypeVarTuple

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from smileback.api.errors import ApiError
from smileback.api.params import utc_in_range

__all__ = [
    "count_rows",
    "decode_cursor",
    "encode_cursor",
    "newest_first",
    "pack_cursor",
    "read_time",
    "split_page",
    "unpack_cursor",
]

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


def pack_cursor(values: Sequence[object]) -> str:
    """An opaque, URL-safe cursor holding JSON `values`."""
    raw = json.dumps(list(values), separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def unpack_cursor(cursor: str, read: Callable[[Any], T]) -> T:
    """What `read` makes of a cursor's JSON values; a 422 ApiError when the cursor is not
    one of ours or `read` refuses its values (ValueError, TypeError)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return read(json.loads(base64.urlsafe_b64decode(padded.encode("ascii"))))
    except (ValueError, TypeError, UnicodeError, binascii.Error) as exc:
        raise ApiError(status=422, code="invalid_cursor", message="cursor is not valid") from exc


def encode_cursor(*, at: datetime, id_: str) -> str:
    """An opaque, URL-safe cursor naming the last row of a page."""
    return pack_cursor([at.astimezone(UTC).isoformat(), id_])


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The (time, id) in a cursor; a 422 ApiError when it is not one of ours."""
    return unpack_cursor(cursor, _time_and_id)


def _time_and_id(values: Any) -> tuple[datetime, str]:
    at_text, id_ = values
    return read_time(at_text), _text(id_)


def read_time(value: Any) -> datetime:
    """A cursor's ISO time, in UTC and in range; ValueError or TypeError when not one."""
    at = datetime.fromisoformat(value)
    if at.tzinfo is None:
        raise ValueError("not a cursor")
    return utc_in_range(at)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not a cursor")
    return value


def newest_first(
    query: Select[*Ts],
    *,
    at: InstrumentedAttribute[datetime],
    id_: InstrumentedAttribute[str],
    cursor: str | None,
    limit: int,
) -> Select[*Ts]:
    """Order newest first, start after the cursor, fetch one extra row to detect a next page."""
    if cursor is not None:
        after_at, after_id = decode_cursor(cursor)
        # A row-value comparison, so the (time, id) index can seek straight to the cursor.
        query = query.where(tuple_(at, id_) < tuple_(after_at, after_id))
    return query.order_by(at.desc(), id_.desc()).limit(limit + 1)


def split_page(
    rows: Sequence[T], *, limit: int, key: Callable[[T], tuple[datetime, str]]
) -> tuple[list[T], str | None]:
    """The page's rows and the cursor of the next page (None on the last page)."""
    page = list(rows[:limit])
    if len(rows) <= limit:
        return page, None
    at, id_ = key(page[-1])
    return page, encode_cursor(at=at, id_=id_)


def count_rows(session: Session, query: Select[*Ts]) -> int:
    """How many rows `query` (unpaged: before `newest_first`) matches."""
    return session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
