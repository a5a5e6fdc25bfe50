"""Per-author state: the author's latest metrics and how many mentions of a brand they made.

Kept per (brand, author), because the brand stage is where all of one brand's mentions
meet in one partition (see app.py); an author who mentions two brands is counted under
each. Metrics are those of the author's newest mention by `created_at`, so a late mention
does not roll them back. The digests of the author's last RECENT_IDS mention ids keep a
redelivered mention from counting twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from smileback.common.events import Author
from smileback.scorer.state import digest, remember

__all__ = ["RECENT_IDS", "AuthorReading", "AuthorState", "author_key", "observe"]

RECENT_IDS = 16


class AuthorState(BaseModel):
    """One author's state under one brand; JSON-serialisable for a Faust table."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    followers: int = 0
    following: int = 0
    verified: bool = False
    bot: bool = False
    first_seen: float  # epoch seconds of the earliest mention
    last_seen: float  # epoch seconds of the newest mention
    mentions: int = 0
    recent: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuthorReading:
    """What the author state says about one mention."""

    mentions: int  # mentions of the brand by this author so far, this one included
    duplicate: bool = False


def author_key(*, brand: str, author: Author) -> str | None:
    """The state key of an author under a brand; None when the author is anonymous."""
    who = author.identity
    return f"{brand}\x00{who}" if who else None


def observe(
    state: AuthorState | None, *, author: Author, mention_id: str, at: datetime
) -> tuple[AuthorState, AuthorReading]:
    """Count one mention by `author` and keep the metrics of their newest mention."""
    t = at.timestamp()
    key = digest(mention_id)
    if state is not None and key in state.recent:
        return state, AuthorReading(mentions=state.mentions, duplicate=True)
    newest = state is None or t >= state.last_seen
    metrics = author if newest or state is None else state
    state = AuthorState.model_construct(
        followers=metrics.followers,
        following=metrics.following,
        verified=metrics.verified,
        bot=metrics.bot,
        first_seen=t if state is None else min(state.first_seen, t),
        last_seen=t if state is None else max(state.last_seen, t),
        mentions=1 if state is None else state.mentions + 1,
        recent=remember(() if state is None else state.recent, key, limit=RECENT_IDS),
    )
    return state, AuthorReading(mentions=state.mentions)
