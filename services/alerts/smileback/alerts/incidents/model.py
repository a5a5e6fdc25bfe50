"""An incident's state as data: JSON round-trips, so it persists across restarts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from smileback.alerts.escalation import EscalationState
from smileback.common.events import ScoredMention, Severity

__all__ = ["REDACTED_TEXT", "Incident", "PostRef", "Status"]

REDACTED_TEXT = "[deleted]"
_POST_TEXT_CHARS = 280


class Status(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class PostRef(BaseModel):
    """A short reference to another post: a thread's root, a latest reply, a similar one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mention_id: str
    handle: str = ""
    text: str = ""
    url: str | None = None
    negativity: float = 0.0
    at: AwareDatetime | None = None

    @classmethod
    def of(cls, mention: ScoredMention) -> PostRef:
        """The reference to a scored mention, its text cut to a tweet's length."""
        text = " ".join(mention.text.split())
        if len(text) > _POST_TEXT_CHARS:
            text = text[: _POST_TEXT_CHARS - 1] + "…"
        return cls(
            mention_id=mention.id,
            handle=mention.author.handle,
            text=text,
            url=mention.url,
            negativity=round(mention.scores.negativity, 3),
            at=mention.created_at,
        )

    def redacted(self) -> PostRef:
        """The same reference with the deleted post's text, link and handle removed."""
        return self.model_copy(update={"text": REDACTED_TEXT, "url": None, "handle": ""})


class Incident(BaseModel):
    """One incident: per (brand, thread root), or per (brand, window) for a surge."""

    model_config = ConfigDict(extra="forbid")

    incident_id: str
    brand: str
    thread_root_id: str
    rule: str
    severity: Severity
    status: Status = Status.OPEN
    opened_at: AwareDatetime
    last_activity_at: AwareDatetime
    summary: str
    summary_mention_id: str
    peak_velocity: float = 0.0
    mention_ids: set[str] = set()
    redacted: set[str] = set()
    root: PostRef | None = None
    latest: list[PostRef] = []  # the newest replies, newest last
    packet: dict[str, Any] = {}  # the context packet its pages carry
    escalation: EscalationState | None = None
    owner: str | None = None  # who claimed it (acknowledged) or was assigned it
    page_count: int = 0
    # When the mention behind the latest page was ingested: page latency is measured from it.
    paged_ingested_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None

    @property
    def is_open(self) -> bool:
        """Not resolved yet."""
        return self.status is not Status.RESOLVED

    def touch(self, now: datetime) -> None:
        """Note activity at `now` (never moves back)."""
        self.last_activity_at = max(self.last_activity_at, now)
