"""Pile-on risk (0..1): how likely a thread is turning into many people piling onto the brand.

Each negative reply counts with its author's credibility c (0..1), so a storm of throwaway
accounts weighs little:
    c = 1
      * BOT_WEIGHT (0.1)                        when the account is flagged as a bot
      * EMPTY_ACCOUNT_WEIGHT (0.5)              when it has fewer than SMALL_AUDIENCE (10) followers
      * (NEW_ACCOUNT_FLOOR + (1 - FLOOR) * age/NEW_ACCOUNT_DAYS)
                                                when its age is known and under 30 days (floor 0.1)
A day-old account with no followers weighs 0.5 * 0.13 ≈ 0.065; an ordinary one 1.0.

From the thread's reading at the mention's own time (window W = 10 minutes):
    credible velocity v_c = sum over distinct authors of their highest c in (t - W, t], per min
    heat      = 1 - exp(-v_c / CREDIBLE_RATE)       # 1 credible reply/min -> 0.63
    audience  = 0.5 + 0.5 * root reach              # the root author's reach (see reach.py)
    hostility = sqrt(negative share)                # negative / all replies in the window;
                                                    # a thread half negative keeps 0.71
    trend     = 0.8 + 0.2 * (v - v_prev) / (v + v_prev)
                # v, v_prev: negative replies/min in this window and the one before;
                # 1.0 while the thread is new or heating up, towards 0.6 as it cools
    risk      = heat * audience * hostility * trend

Examples under a root author with 250,000 followers (reach 0.77), thirty negative replies
within two minutes: from distinct ordinary accounts 0.84, from accounts without followers
0.69, from day-old accounts without followers 0.16. One negative reply every 48 minutes
stays under 0.1. A viral thread of 300 replies in ten minutes, one in twenty negative,
stays near 0.15: hostility is sqrt(0.05) = 0.22.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from smileback.common.events import Author

__all__ = [
    "BOT_WEIGHT",
    "CREDIBLE_RATE",
    "EMPTY_ACCOUNT_WEIGHT",
    "NEW_ACCOUNT_DAYS",
    "NEW_ACCOUNT_FLOOR",
    "SMALL_AUDIENCE",
    "credibility",
    "pile_on_risk",
]

BOT_WEIGHT = 0.1
SMALL_AUDIENCE = 10
EMPTY_ACCOUNT_WEIGHT = 0.5
NEW_ACCOUNT_DAYS = 30
NEW_ACCOUNT_FLOOR = 0.1
CREDIBLE_RATE = 1.0
_NEW_ACCOUNT = timedelta(days=NEW_ACCOUNT_DAYS)


def credibility(*, author: Author, at: datetime) -> float:
    """How much one reply by `author` at `at` counts towards a pile-on (0..1)."""
    weight = 1.0
    if author.bot:
        weight *= BOT_WEIGHT
    if author.followers < SMALL_AUDIENCE:
        weight *= EMPTY_ACCOUNT_WEIGHT
    if author.created_at is not None:
        age = max(at - author.created_at, timedelta(0))
        if age < _NEW_ACCOUNT:
            weight *= NEW_ACCOUNT_FLOOR + (1 - NEW_ACCOUNT_FLOOR) * (age / _NEW_ACCOUNT)
    return weight


def pile_on_risk(
    *,
    root_reach: float,
    credible_velocity: float,
    negative_share: float,
    velocity: float,
    previous_velocity: float,
) -> float:
    """Risk (0..1) from heat, audience, hostility and trend, as documented above."""
    heat = 1.0 - math.exp(-credible_velocity / CREDIBLE_RATE)
    audience = 0.5 + 0.5 * root_reach
    hostility = math.sqrt(negative_share)
    total = velocity + previous_velocity
    change = (velocity - previous_velocity) / total if total > 0 else 0.0
    trend = 0.8 + 0.2 * change
    return min(1.0, max(0.0, heat * audience * hostility * trend))
