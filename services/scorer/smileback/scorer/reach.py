"""Audience size of a mention's author: tier, reach score and estimated impressions.

Reach tier, by followers f:
    none f < 1,000 · nano 1,000 ≤ f < 10,000 · micro 10,000 ≤ f < 100,000
    macro 100,000 ≤ f < 1,000,000 · mega f ≥ 1,000,000

Reach (0..1), on a log scale so each tenfold audience adds the same step:
    base  = min(1, log10(1 + f) / 7)              # 10 million followers reach 1.0
    +VERIFIED_BONUS (0.05) when verified, capped at 1
    *BOT_FACTOR (0.2) when the account is a bot   # bot audiences are mostly other bots
    e.g. 0 -> 0.0, 1k -> 0.43, 250k -> 0.77, 1M -> 0.86

Estimated impressions, rough public rules of thumb:
    followers * IMPRESSIONS_PER_FOLLOWER (0.1: organic posts reach ~10% of followers)
  + (likes + replies) * IMPRESSIONS_PER_INTERACTION (10: each interaction surfaces it to a few more)
  + (reposts + quotes) * IMPRESSIONS_PER_SHARE (100: a share shows it to another audience)
"""

from __future__ import annotations

import math

from smileback.common.events import Author, MentionMetrics, ReachTier

__all__ = [
    "BOT_FACTOR",
    "IMPRESSIONS_PER_FOLLOWER",
    "IMPRESSIONS_PER_INTERACTION",
    "IMPRESSIONS_PER_SHARE",
    "VERIFIED_BONUS",
    "est_impressions",
    "reach",
    "reach_tier",
]

# Lower bounds, highest first.
_TIERS: tuple[tuple[int, ReachTier], ...] = (
    (1_000_000, ReachTier.MEGA),
    (100_000, ReachTier.MACRO),
    (10_000, ReachTier.MICRO),
    (1_000, ReachTier.NANO),
)
_FULL_REACH_DECADES = 7.0
VERIFIED_BONUS = 0.05
BOT_FACTOR = 0.2
IMPRESSIONS_PER_FOLLOWER = 0.1
IMPRESSIONS_PER_INTERACTION = 10
IMPRESSIONS_PER_SHARE = 100


def reach_tier(*, followers: int) -> ReachTier:
    """The audience tier of an account with `followers` followers."""
    for lower, tier in _TIERS:
        if followers >= lower:
            return tier
    return ReachTier.NONE


def reach(*, author: Author) -> float:
    """Reach in 0..1: log-scaled followers, nudged up when verified, cut hard for bots."""
    score = min(1.0, math.log10(1 + author.followers) / _FULL_REACH_DECADES)
    if author.verified:
        score = min(1.0, score + VERIFIED_BONUS)
    if author.bot:
        score *= BOT_FACTOR
    return score


def est_impressions(*, followers: int, metrics: MentionMetrics) -> int:
    """Rough number of people who saw the post, from followers and engagement."""
    return round(
        followers * IMPRESSIONS_PER_FOLLOWER
        + (metrics.likes + metrics.replies) * IMPRESSIONS_PER_INTERACTION
        + (metrics.reposts + metrics.quotes) * IMPRESSIONS_PER_SHARE
    )
