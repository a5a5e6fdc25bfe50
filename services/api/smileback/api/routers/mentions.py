"""Mention search, newest first, and one mention."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from smileback.api.deps import READ, SessionDep
from smileback.api.errors import ApiError, documented
from smileback.api.pagination import newest_first, split_page
from smileback.api.params import Cursor, Limit, Since, Until, Word, check_order
from smileback.api.schemas import MentionOut, Page
from smileback.api.store import MentionRow
from smileback.api.store.queries import MentionFilter, mention_query
from smileback.common.events import ReachTier

__all__ = ["get_mention", "router", "search_mentions"]

router = APIRouter(prefix="/v1/mentions", tags=["mentions"], dependencies=[Depends(READ)])


@router.get("", response_model=Page[MentionOut], responses=documented())
def search_mentions(
    session: SessionDep,
    brand: Word = None,
    platform: Word = None,
    since: Since = None,
    until: Until = None,
    min_negativity: Annotated[float | None, Query(ge=0.0, le=1.0)] = None,
    min_reach_tier: Annotated[
        ReachTier | None, Query(description="This reach tier or a larger one.")
    ] = None,
    is_negative: bool | None = None,
    text: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="Text contains (case-insensitive)."),
    ] = None,
    author: Annotated[
        str | None,
        Query(min_length=1, max_length=512, description="Author handle, with or without @."),
    ] = None,
    thread_root_id: Word = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[MentionOut]:
    """Mentions matching every given filter, newest first."""
    check_order(since, until)
    query = mention_query(
        MentionFilter(
            brand=brand,
            platform=platform,
            since=since,
            until=until,
            min_negativity=min_negativity,
            min_reach_tier=min_reach_tier,
            is_negative=is_negative,
            text=text,
            author=author,
            thread_root_id=thread_root_id,
        )
    )
    query = newest_first(
        query, at=MentionRow.created_at, id_=MentionRow.id, cursor=cursor, limit=limit
    )
    rows, next_cursor = split_page(
        session.scalars(query).all(), limit=limit, key=lambda row: (row.created_at, row.id)
    )
    return Page[MentionOut](
        items=[MentionOut.model_validate(row) for row in rows], next_cursor=next_cursor
    )


@router.get("/{mention_id:path}", response_model=MentionOut, responses=documented(404))
def get_mention(mention_id: str, session: SessionDep) -> MentionOut:
    """One mention by id (ids may hold slashes, as Bluesky's at:// URIs do)."""
    row = session.get(MentionRow, mention_id)
    if row is None:
        raise ApiError(status=404, code="not_found", message=f"no mention {mention_id!r}")
    return MentionOut.model_validate(row)
