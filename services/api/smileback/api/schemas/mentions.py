"""Mentions as the API returns them."""

from __future__ import annotations

from datetime import datetime

from smileback.api.schemas.base import Out
from smileback.common.events import ReachTier, Sentiment

__all__ = ["MentionOut"]


class MentionOut(Out):
    id: str
    brand: str | None
    platform: str
    text: str
    url: str | None
    lang: str | None
    author_handle: str
    author_followers: int
    created_at: datetime
    ingested_at: datetime | None
    thread_root_id: str
    negativity: float
    is_negative: bool
    sentiment: Sentiment
    reach: float
    reach_tier: ReachTier
    thread_velocity: float
    pile_on_risk: float
    model_version: str
    redacted: bool
    updated_at: datetime
