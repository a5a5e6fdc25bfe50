"""The context packet a page carries: who, what, why, thread, similar complaints and guide.

The alerts service builds it when an incident opens or its severity rises; notifiers send
it whole, incident events carry it, and the API stores and serves it as JSON. Fields are
listed in the order the JSON shows them. Every part refuses unknown fields, so a packet
that is not one fails to parse instead of being read by its shape.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, PlainSerializer

from smileback.common.grades import ReachTier, Severity

__all__ = [
    "MAX_SUMMARY_CHARS",
    "SUMMARY_FIELD_CHARS",
    "ContextPacket",
    "IsoDatetime",
    "PostRef",
    "SimilarSection",
    "ThreadSection",
    "WhatSection",
    "WhoSection",
    "WhySection",
    "clip",
]

MAX_SUMMARY_CHARS = 1024  # PagerDuty's limit for payload.summary
SUMMARY_FIELD_CHARS = 64  # a brand or handle quoted in a summary line

# The post's own time is written with `isoformat()` (an offset such as +00:00, never `Z`),
# as stored packets and pages have always shown it.
IsoDatetime = Annotated[
    AwareDatetime, PlainSerializer(datetime.isoformat, return_type=str, when_used="json")
]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PostRef(_Part):
    """A short reference to another post: a thread's root, a latest reply, a similar one."""

    mention_id: str
    handle: str = ""
    text: str = ""
    url: str | None = None
    negativity: float = 0.0
    at: AwareDatetime | None = None


class WhoSection(_Part):
    """The author of the post that paged."""

    handle: str
    display_name: str
    followers: int
    verified: bool
    bot: bool
    account_age_days: int | None
    platform: str


class WhatSection(_Part):
    """The post that paged."""

    text: str
    url: str | None
    lang: str | None
    created_at: IsoDatetime | None


class WhySection(_Part):
    """The rule that paged and the scores behind it."""

    rule: str
    reason: str
    negativity: float
    top_terms: tuple[str, ...]
    reach_tier: ReachTier
    reach: float
    est_impressions: int
    thread_velocity: float
    peak_velocity: float
    pile_on_risk: float


class ThreadSection(_Part):
    """The thread: its root post, how many replies, and the latest ones (newest first)."""

    root_id: str
    root: PostRef | None
    reply_count: int
    latest_replies: tuple[PostRef, ...]


class SimilarSection(_Part):
    """Other threads' complaints about the brand within the window."""

    window_minutes: int
    count: int
    items: tuple[PostRef, ...]


class ContextPacket(_Part):
    """Everything a responder needs to answer the post `mention_id` well."""

    incident_id: str
    brand: str
    rule: str
    severity: Severity
    mention_id: str
    summary: str
    who: WhoSection
    what: WhatSection
    why: WhySection
    thread: ThreadSection
    similar: SimilarSection
    guide: tuple[str, ...]
    redacted_mention_ids: tuple[str, ...]

    def refs(self) -> list[PostRef]:
        """Every other post the packet quotes: the thread's root, latest replies, similar."""
        root = [self.thread.root] if self.thread.root is not None else []
        return [*root, *self.thread.latest_replies, *self.similar.items]

    def mention_ids(self) -> set[str]:
        """The id of every post the packet names, its headline included."""
        return {self.mention_id, *(ref.mention_id for ref in self.refs())}


def clip(text: str, limit: int) -> str:
    """One line of at most `limit` chars, a cut marked with an ellipsis."""
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"
