"""The alert policy: per-brand rules loaded from YAML, and the pure `classify`."""

from smileback.alerts.policy.model import (
    BrandPolicy,
    LargeAudienceRule,
    PagerDutySeverity,
    PileOnRule,
    Policy,
    QueueRule,
    SmileBackRule,
    SurgeRule,
    brand_handles,
    load_policy,
)
from smileback.alerts.policy.rules import (
    RULE_BRAND_SURGE,
    RULE_KIND_TO_BRAND,
    RULE_LARGE_AUDIENCE_COMPLAINT,
    RULE_NEGATIVE,
    RULE_PILE_ON,
    Action,
    Decision,
    classify,
)
from smileback.alerts.policy.surge import BrandVolume, brand_volume

__all__ = [
    "RULE_BRAND_SURGE",
    "RULE_KIND_TO_BRAND",
    "RULE_LARGE_AUDIENCE_COMPLAINT",
    "RULE_NEGATIVE",
    "RULE_PILE_ON",
    "Action",
    "BrandPolicy",
    "BrandVolume",
    "Decision",
    "LargeAudienceRule",
    "PagerDutySeverity",
    "PileOnRule",
    "Policy",
    "QueueRule",
    "SmileBackRule",
    "SurgeRule",
    "brand_handles",
    "brand_volume",
    "classify",
    "load_policy",
]
