"""Response models of the REST API (the API's contract, distinct from the bus events)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from smileback.api.store import IncidentStatus
from smileback.common.events import IncidentEventType, ReachTier, Sentiment, Severity

__all__ = [
    "ErrorBody",
    "ErrorDetail",
    "Health",
    "IncidentDetail",
    "IncidentEventOut",
    "IncidentOut",
    "MentionOut",
    "Page",
]

T = TypeVar("T")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)


class ErrorDetail(_Out):
    code: str
    message: str


class ErrorBody(_Out):
    """Every error the API returns has this shape."""

    error: ErrorDetail


class Health(_Out):
    status: str
    database: str


class Page(_Out, Generic[T]):
    """One page of a newest-first listing; pass `next_cursor` as `cursor` for the next."""

    items: list[T]
    next_cursor: str | None


class MentionOut(_Out):
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


class IncidentOut(_Out):
    id: str
    brand: str
    thread_root_id: str
    rule: str
    severity: Severity
    status: IncidentStatus
    opened_at: datetime
    last_event_at: datetime
    mention_count: int
    peak_velocity: float
    summary: str
    paged_count: int


class IncidentEventOut(_Out):
    event_id: str
    type: IncidentEventType
    at: datetime
    mention_id: str | None
    severity: Severity | None
    actor: str | None


class IncidentDetail(IncidentOut):
    """An incident with its context packet and its events, oldest first."""

    context: dict[str, Any]
    timeline: list[IncidentEventOut]
