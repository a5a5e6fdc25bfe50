"""The alert policy, rule by rule."""

from __future__ import annotations

import pytest

from smileback.alerts.policy import (
    RULE_LARGE_AUDIENCE_COMPLAINT,
    Action,
    Decision,
    PolicyConfig,
    classify,
)
from smileback.common.events import QueueName, ReachTier, Sentiment, Severity
from tests.alerts.factory import scored

CONFIG = PolicyConfig(brand_handles={"acme": ["@acmehelp"]})


@pytest.mark.parametrize(
    ("mention", "action"),
    [
        pytest.param(scored("m1", tier=ReachTier.MACRO), Action.PAGE, id="macro-complaint-pages"),
        pytest.param(scored("m2", tier=ReachTier.MEGA), Action.PAGE, id="mega-complaint-pages"),
        pytest.param(
            scored("m3", tier=ReachTier.MICRO), Action.TRIAGE, id="micro-complaint-triages"
        ),
        pytest.param(
            scored("m4", tier=ReachTier.MACRO, negativity=0.7),
            Action.TRIAGE,
            id="negative-below-threshold-triages",
        ),
        pytest.param(scored("m5", negativity=0.8), Action.PAGE, id="threshold-is-inclusive"),
        pytest.param(
            scored(
                "m6",
                text="Thank you @acmehelp, you made my day!",
                negativity=0.05,
                sentiment=Sentiment.POSITIVE,
            ),
            Action.SMILE_BACK,
            id="positive-to-handle-smiles-back",
        ),
        pytest.param(
            scored(
                "m7", text="Loving my new ACME kettle", negativity=0.1, sentiment=Sentiment.POSITIVE
            ),
            Action.SMILE_BACK,
            id="positive-naming-brand-smiles-back",
        ),
        pytest.param(
            scored(
                "m8",
                text="What a lovely sunny morning",
                negativity=0.05,
                sentiment=Sentiment.POSITIVE,
            ),
            Action.NONE,
            id="positive-not-addressed-is-none",
        ),
        pytest.param(
            scored(
                "m9",
                text="acmetools and @acmehelpdesk are great",
                negativity=0.05,
                sentiment=Sentiment.POSITIVE,
            ),
            Action.NONE,
            id="brand-inside-another-word-is-not-addressing",
        ),
        pytest.param(
            scored("m10", text="Is acme open today?", negativity=0.2),
            Action.NONE,
            id="neutral-is-none",
        ),
        pytest.param(scored("m11", deleted=True), Action.NONE, id="tombstone-is-none"),
        pytest.param(scored("m12", brand=None), Action.NONE, id="no-brand-is-none"),
    ],
)
def test_classify(mention, action) -> None:
    assert classify(mention=mention, config=CONFIG).action is action


def test_page_carries_rule_and_critical_severity() -> None:
    decision = classify(mention=scored("m1"), config=CONFIG)
    assert decision.rule == RULE_LARGE_AUDIENCE_COMPLAINT
    assert decision.severity is Severity.CRITICAL
    assert decision.queue is None


def test_queues_follow_action() -> None:
    triage = classify(mention=scored("m1", tier=ReachTier.NANO), config=CONFIG)
    kind = classify(
        mention=scored("m2", text="hi @acmehelp!", negativity=0.0, sentiment=Sentiment.POSITIVE),
        config=CONFIG,
    )
    assert triage.queue is QueueName.TRIAGE
    assert kind.queue is QueueName.SMILE_BACK


def test_handles_are_per_brand() -> None:
    other = scored(
        "m1", brand="globex", text="thanks @acmehelp", negativity=0.0, sentiment=Sentiment.POSITIVE
    )
    assert classify(mention=other, config=CONFIG).action is Action.NONE


def test_config_tiers_and_threshold_are_honoured() -> None:
    strict = PolicyConfig(page_min_negativity=0.99, page_tiers=frozenset({ReachTier.MEGA}))
    assert classify(mention=scored("m1", tier=ReachTier.MACRO), config=strict).action is (
        Action.TRIAGE
    )
    assert classify(mention=scored("m2", tier=ReachTier.MEGA), config=strict).action is (
        Action.TRIAGE
    )
    assert (
        classify(mention=scored("m3", tier=ReachTier.MEGA, negativity=0.995), config=strict).action
        is Action.PAGE
    )


def test_invalid_config_and_decision_are_refused() -> None:
    with pytest.raises(ValueError, match="page_min_negativity"):
        PolicyConfig(page_min_negativity=1.5)
    with pytest.raises(ValueError, match="severity"):
        Decision(Action.PAGE)
