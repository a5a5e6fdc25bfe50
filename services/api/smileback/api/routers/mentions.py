"""Scored mentions, newest first."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from smileback.api.deps import SessionDep, require_token
from smileback.api.errors import ERROR_RESPONSES, ApiError
from smileback.api.pagination import newest_first, split_page
from smileback.api.schemas import MentionOut, Page
from smileback.api.store import MentionRow

__all__ = ["router"]

router = APIRouter(
    prefix="/v1/mentions",
    tags=["mentions"],
    dependencies=[Depends(require_token)],
    responses=ERROR_RESPONSES,
)


@router.get("", response_model=Page[MentionOut])
def list_mentions(
    session: SessionDep,
    brand: str | None = None,
    is_negative: bool | None = None,
    min_negativity: Annotated[float | None, Query(ge=0.0, le=1.0)] = None,
    thread_root_id: str | None = None,
    since: Annotated[datetime | None, Query(description="Created at or after (ISO 8601).")] = None,
    until: Annotated[datetime | None, Query(description="Created before (ISO 8601).")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
) -> Page[MentionOut]:
    """Mentions matching every given filter, newest first."""
    query = select(MentionRow)
    if brand is not None:
        query = query.where(MentionRow.brand == brand)
    if is_negative is not None:
        query = query.where(MentionRow.is_negative == is_negative)
    if min_negativity is not None:
        query = query.where(MentionRow.negativity >= min_negativity)
    if thread_root_id is not None:
        query = query.where(MentionRow.thread_root_id == thread_root_id)
    if since is not None:
        query = query.where(MentionRow.created_at >= _utc(since))
    if until is not None:
        query = query.where(MentionRow.created_at < _utc(until))
    query = newest_first(
        query, at=MentionRow.created_at, id_=MentionRow.id, cursor=cursor, limit=limit
    )
    rows, next_cursor = split_page(
        session.scalars(query).all(), limit=limit, key=lambda row: (row.created_at, row.id)
    )
    return Page[MentionOut](
        items=[MentionOut.model_validate(row) for row in rows], next_cursor=next_cursor
    )


@router.get("/{mention_id:path}", response_model=MentionOut)
def get_mention(mention_id: str, session: SessionDep) -> MentionOut:
    """One mention by id (ids may hold slashes, as Bluesky's at:// URIs do)."""
    row = session.get(MentionRow, mention_id)
    if row is None:
        raise ApiError(status=404, code="not_found", message=f"no mention {mention_id!r}")
    return MentionOut.model_validate(row)


def _utc(value: datetime) -> datetime:
    """A naive query time is taken as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
