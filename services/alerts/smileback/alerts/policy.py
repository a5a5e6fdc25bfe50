"""The alert policy: what one scored mention calls for. Pure: values in, a Decision out.

Rules now: large-audience complaint (page), other negatives (triage), kind mentions
addressed to the brand (smile-back). Pile-on and brand-surge rules and per-brand YAML
overrides arrive in later issues as more fields here and more branches in `classify`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from smileback.common.events import QueueName, ReachTier, ScoredMention, Sentiment, Severity

__all__ = [
    "RULE_KIND_TO_BRAND",
    "RULE_LARGE_AUDIENCE_COMPLAINT",
    "RULE_NEGATIVE",
    "Action",
    "Decision",
    "PolicyConfig",
    "classify",
]

RULE_LARGE_AUDIENCE_COMPLAINT = "large_audience_complaint"
RULE_NEGATIVE = "negative"
RULE_KIND_TO_BRAND = "kind_to_brand"


class Action(StrEnum):
    PAGE = "page"
    TRIAGE = "triage"
    SMILE_BACK = "smile_back"
    NONE = "none"


@dataclass(frozen=True)
class PolicyConfig:
    """Thresholds of the policy; `brand_handles` maps a brand to its @handles."""

    page_min_negativity: float = 0.8
    page_tiers: frozenset[ReachTier] = frozenset({ReachTier.MACRO, ReachTier.MEGA})
    page_severity: Severity = Severity.CRITICAL
    brand_handles: Mapping[str, Sequence[str]] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.page_min_negativity <= 1.0:
            raise ValueError("page_min_negativity must be within 0..1")


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


def classify(*, mention: ScoredMention, config: PolicyConfig) -> Decision:
    """Apply the policy to one scored mention."""
    if mention.deleted:
        return Decision(Action.NONE, reason="tombstone")
    if mention.brand is None:
        return Decision(Action.NONE, reason="no brand")
    scores = mention.scores
    if scores.is_negative:
        if (
            scores.negativity >= config.page_min_negativity
            and scores.reach_tier in config.page_tiers
        ):
            return Decision(
                Action.PAGE,
                rule=RULE_LARGE_AUDIENCE_COMPLAINT,
                severity=config.page_severity,
                reason=f"negativity {scores.negativity:.2f}, reach {scores.reach_tier}",
            )
        return Decision(
            Action.TRIAGE,
            rule=RULE_NEGATIVE,
            reason=f"negativity {scores.negativity:.2f}, reach {scores.reach_tier}",
        )
    if scores.sentiment is Sentiment.POSITIVE and _addressed_to(
        text=mention.text, brand=mention.brand, handles=config.brand_handles.get(mention.brand, ())
    ):
        return Decision(Action.SMILE_BACK, rule=RULE_KIND_TO_BRAND, reason="kind, addressed to us")
    return Decision(Action.NONE, reason="neither negative nor kind to the brand")


def _addressed_to(*, text: str, brand: str, handles: Sequence[str]) -> bool:
    """True when the text names the brand or one of its @handles as a whole word."""
    names = ["@?" + re.escape(brand)]
    names += [re.escape("@" + h.lstrip("@")) for h in handles if h.strip("@")]
    # Word edges on both sides: "acme" must not match "acmetools", "@acmehelpdesk" or "x@acme".
    pattern = rf"(?<![\w@])(?:{'|'.join(names)})(?!\w)"
    return re.search(pattern, text, flags=re.IGNORECASE) is not None
