"""What one scored mention calls for under its brand's policy. Pure: values in, a Decision out.

Rules, in order: large-audience complaint, pile-on forming, brand surge (all page); other
negatives go to triage; kind mentions addressed to the brand go to smile-back.

"Addressed to the brand" is `smileback.alerts.policy.addressee`: tagging the brand, or
naming it when no other account is tagged and not only as a place. A thank-you addressed to
the brand that the model calls negative without confidence reaches smile-back too.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from smileback.alerts.policy.addressee import addressee, thanks
from smileback.alerts.policy.model import BrandPolicy
from smileback.alerts.policy.surge import BrandVolume
from smileback.common.events import QueueName, ScoredMention, Sentiment, Severity

__all__ = [
    "RULE_BRAND_SURGE",
    "RULE_KIND_TO_BRAND",
    "RULE_LARGE_AUDIENCE_COMPLAINT",
    "RULE_NEGATIVE",
    "RULE_PILE_ON",
    "Action",
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
        decision = _page(mention=mention, policy=policy, volume=volume) or _thanks_us(
            mention=mention, policy=policy
        )
        if decision is not None:
            return decision
        if not policy.triage.enabled:
            return Decision(Action.NONE, reason="negative; triage is off")
        return Decision(
            Action.TRIAGE,
            rule=RULE_NEGATIVE,
            reason=f"negativity {scores.negativity:.2f}, reach {scores.reach_tier}",
        )
    if (
        policy.smile_back.enabled
        and scores.sentiment is Sentiment.POSITIVE
        and addressee(mention.brand, policy.handles).addressed_by(mention.text)
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
                f"{volume.negatives} negative mentions in the last hour, "
                f"{volume.ratio:.1f}x the usual {volume.baseline:.1f}"
            ),
        )
    return None


def _thanks_us(*, mention: ScoredMention, policy: BrandPolicy) -> Decision | None:
    """Smile-back for a thank-you to the brand the model leans negative on without confidence
    ("thanks for finding my lost keys": a word of the story, not of the author's mood)."""
    rule = policy.smile_back
    negativity = mention.scores.negativity
    if (
        rule.enabled
        and negativity < rule.thanks_max_negativity
        and mention.brand is not None
        and thanks(mention.text)
        and addressee(mention.brand, policy.handles).addressed_by(mention.text)
    ):
        return Decision(
            Action.SMILE_BACK,
            rule=RULE_KIND_TO_BRAND,
            reason=f"thanks us, addressed to us (negativity {negativity:.2f})",
        )
    return None
