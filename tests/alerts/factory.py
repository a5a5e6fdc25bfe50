"""Build ScoredMentions for the alerts tests with only the fields a test cares about."""

from __future__ import annotations

from typing import Any

from smileback.common.events import (
    Author,
    ReachTier,
    ScoredMention,
    Scores,
    Sentiment,
    Thread,
)

FOLLOWERS = {
    ReachTier.NONE: 0,
    ReachTier.NANO: 300,
    ReachTier.MICRO: 5_000,
    ReachTier.MACRO: 250_000,
    ReachTier.MEGA: 3_000_000,
}


def scored(
    mention_id: str,
    *,
    text: str = "Your app lost my order again, worst support ever",
    brand: str | None = "acme",
    negativity: float = 0.95,
    sentiment: Sentiment | None = None,
    tier: ReachTier = ReachTier.MACRO,
    root_id: str | None = None,
    velocity: float = 0.0,
    deleted: bool = False,
    handle: str = "loudcustomer",
    **extra: Any,
) -> ScoredMention:
    """A scored mention; negativity >= 0.5 makes it negative unless `sentiment` says otherwise."""
    negative = negativity >= 0.5
    if sentiment is None:
        sentiment = Sentiment.NEGATIVE if negative else Sentiment.NEUTRAL
    return ScoredMention(
        id=mention_id,
        text=text,
        platform="mastodon",
        brand=brand,
        url=f"https://social.example/@{handle}/{mention_id}",
        author=Author(id=f"u-{handle}", handle=handle, followers=FOLLOWERS[tier], verified=True),
        thread=Thread(root_id=root_id, parent_id=root_id),
        deleted=deleted,
        scores=Scores(
            negativity=negativity,
            is_negative=negative,
            sentiment=sentiment,
            reach_tier=tier,
            thread_velocity=velocity,
            pile_on_risk=0.4,
            model_version="test",
            explanation=["lost", "worst"],
        ),
        **extra,
    )
