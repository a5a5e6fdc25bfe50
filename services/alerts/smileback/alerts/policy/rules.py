"""What one scored mention calls for under its brand's policy. Pure: values in, a Decision out.

Rules, in order: large-audience complaint, pile-on forming, brand surge (all page); other
negatives go to triage; kind mentions addressed to the brand go to smile-back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from smileback.alerts.policy.model import BrandPolicy
from smileback.common.events import QueueName, ScoredMention, Sentiment, Severity

__all__ = [
    "RULE_BRAND_SURGE",
    "RULE_KIND_TO_BRAND",
    "RULE_LARGE_AUDIENCE_COMPLAINT",
    "RULE_NEGATIVE",
    "RULE_PILE_ON",
    "Action",
    "BrandVolume",
    "Decision",
    "classify",
]

RULE_LARGE_AUDIENCE_COMPLAINT = "large_audience_complaint"
RULE_PILE_ON = "pile_on"
RULE_BRAND_SURGE = "brand_surge"
RULE_NEGATIVE = "negative"
RULE_KIND_TO_BRAND = "kind_to_brand"


class Action(StrEnum):
    PAGE = "page"
    TRIAGE = "triage"
    SMILE_BACK = "smile_back"
    NONE = "none"


@dataclass(frozen=True)
class BrandVolume:
    """A brand's negative mentions in the last hour against its usual count per hour.

    `negatives` leaves out mentions of threads that already have an open incident: a
    pile-on that is already paged is not also a brand surge.
    """

    negatives: int
    baseline: float

    @property
    def ratio(self) -> float:
        """Now over usual; a baseline under one mention counts as one (no division by ~0)."""
        return self.negatives / max(self.baseline, 1.0)


@dataclass(frozen=True)
class Decision:
    """What a mention calls for, by which rule, and why (one short line)."""

    action: Action
    rule: str = ""
    severity: Severity | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if self.action is Action.PAGE and self.severity is None:
            raise ValueError("a page decision needs a severity")

    @property
    def queue(self) -> QueueName | None:
        """The human queue this decision puts the mention in, if any."""
        return {Action.TRIAGE: QueueName.TRIAGE, Action.SMILE_BACK: QueueName.SMILE_BACK}.get(
            self.action
        )


def classify(
    *, mention: ScoredMention, policy: BrandPolicy, volume: BrandVolume | None = None
) -> Decision:
    """Apply the brand's policy to one scored mention; `volume` feeds the surge rule."""
    if mention.deleted:
        return Decision(Action.NONE, reason="tombstone")
    if mention.brand is None:
        return Decision(Action.NONE, reason="no brand")
    scores = mention.scores
    if scores.is_negative:
        return _page(mention=mention, policy=policy, volume=volume) or (
            Decision(
                Action.TRIAGE,
                rule=RULE_NEGATIVE,
                reason=f"negativity {scores.negativity:.2f}, reach {scores.reach_tier}",
            )
            if policy.triage.enabled
            else Decision(Action.NONE, reason="negative; triage is off")
        )
    if (
        policy.smile_back.enabled
        and scores.sentiment is Sentiment.POSITIVE
        and _addressed_to(text=mention.text, brand=mention.brand, handles=policy.handles)
    ):
        return Decision(Action.SMILE_BACK, rule=RULE_KIND_TO_BRAND, reason="kind, addressed to us")
    return Decision(Action.NONE, reason="neither negative nor kind to the brand")


def _page(
    *, mention: ScoredMention, policy: BrandPolicy, volume: BrandVolume | None
) -> Decision | None:
    scores = mention.scores
    large = policy.large_audience_complaint
    if (
        large.enabled
        and scores.negativity >= large.min_negativity
        and scores.reach_tier in large.tiers
    ):
        return Decision(
            Action.PAGE,
            rule=RULE_LARGE_AUDIENCE_COMPLAINT,
            severity=large.severity,
            reason=f"negativity {scores.negativity:.2f}, reach {scores.reach_tier}",
        )
    pile = policy.pile_on
    if (
        pile.enabled
        and mention.is_reply
        and scores.thread_velocity >= pile.min_velocity
        and scores.pile_on_risk >= pile.min_risk
    ):
        return Decision(
            Action.PAGE,
            rule=RULE_PILE_ON,
            severity=pile.severity,
            reason=(
                f"{scores.thread_velocity:.1f} negative replies/min, "
                f"pile-on risk {scores.pile_on_risk:.2f}"
            ),
        )
    surge = policy.brand_surge
    if (
        surge.enabled
        and volume is not None
        and volume.negatives >= surge.min_negatives
        and volume.ratio >= surge.min_ratio
    ):
        return Decision(
            Action.PAGE,
            rule=RULE_BRAND_SURGE,
            severity=surge.severity,
            reason=(
                f"{volume.negatives} negative mentions in {surge.window_minutes} min, "
                f"{volume.ratio:.1f}x the usual {volume.baseline:.1f}"
            ),
        )
    return None


def _addressed_to(*, text: str, brand: str, handles: Sequence[str]) -> bool:
    """True when the text names the brand or one of its @handles as a whole word."""
    names = ["@?" + re.escape(brand)]
    names += [re.escape("@" + h.lstrip("@")) for h in handles if h.strip("@")]
    # Word edges on both sides: "acme" must not match "acmetools", "@acmehelpdesk" or "x@acme".
    pattern = rf"(?<![\w@])(?:{'|'.join(names)})(?!\w)"
    return re.search(pattern, text, flags=re.IGNORECASE) is not None
