"""The alert policy, rule by rule."""

from __future__ import annotations

import pytest

from smileback.alerts.policy import (
    RULE_BRAND_SURGE,
    RULE_LARGE_AUDIENCE_COMPLAINT,
    RULE_PILE_ON,
    Action,
    BrandPolicy,
    BrandVolume,
    Decision,
    SmileBackRule,
    brand_volume,
    classify,
)
from smileback.alerts.policy import addressee as policy_addressee
from smileback.common.events import QueueName, ReachTier, ScoredMention, Sentiment, Severity
from smileback.common.rules import CompiledRule, Node, compile_tree
from tests.support.builders import scored_tiered as scored

POLICY = BrandPolicy(handles=("@acmehelp",))


@pytest.mark.parametrize(
    ("mention", "action"),
    [
        pytest.param(scored("m1", tier=ReachTier.MACRO), Action.PAGE, id="macro-complaint-pages"),
        pytest.param(scored("m2", tier=ReachTier.MEGA), Action.PAGE, id="mega-complaint-pages"),
        pytest.param(scored("m3", tier=ReachTier.MICRO), Action.TRIAGE, id="micro-triages"),
        pytest.param(
            scored("m4", tier=ReachTier.MACRO, negativity=0.7), Action.TRIAGE, id="below-threshold"
        ),
        pytest.param(scored("m5", negativity=0.8), Action.PAGE, id="threshold-is-inclusive"),
        pytest.param(
            scored(
                "m6", text="Thank you @acmehelp!", negativity=0.05, sentiment=Sentiment.POSITIVE
            ),
            Action.SMILE_BACK,
            id="positive-to-handle-smiles-back",
        ),
        pytest.param(
            scored(
                "m7", text="Loving my ACME kettle", negativity=0.1, sentiment=Sentiment.POSITIVE
            ),
            Action.SMILE_BACK,
            id="positive-naming-brand-smiles-back",
        ),
        pytest.param(
            scored(
                "m8", text="What a lovely morning", negativity=0.05, sentiment=Sentiment.POSITIVE
            ),
            Action.NONE,
            id="positive-not-addressed",
        ),
        pytest.param(
            scored(
                "m9",
                text="acmetools and @acmehelpdesk are great",
                negativity=0.05,
                sentiment=Sentiment.POSITIVE,
            ),
            Action.NONE,
            id="brand-inside-another-word",
        ),
        pytest.param(
            scored("m10", text="Is acme open?", negativity=0.2), Action.NONE, id="neutral"
        ),
        pytest.param(scored("m11", deleted=True), Action.NONE, id="tombstone"),
        pytest.param(scored("m12", brand=None), Action.NONE, id="no-brand"),
    ],
)
def test_classify(mention, action) -> None:
    assert classify(mention=mention, policy=POLICY).action is action


def test_large_audience_complaint_is_critical() -> None:
    decision = classify(mention=scored("m1"), policy=POLICY)
    assert decision.rule == RULE_LARGE_AUDIENCE_COMPLAINT
    assert decision.severity is Severity.CRITICAL
    assert decision.queue is None


def test_pile_on_pages_a_fast_hostile_reply_thread() -> None:
    reply = scored("r1", root_id="root", tier=ReachTier.NANO, velocity=2.5, risk=0.7)
    decision = classify(mention=reply, policy=POLICY)
    assert (decision.action, decision.rule) == (Action.PAGE, RULE_PILE_ON)
    assert decision.severity is Severity.WARNING
    assert "2.5 negative replies/min" in decision.reason


@pytest.mark.parametrize(
    ("velocity", "risk", "is_reply"),
    [(0.5, 0.9, True), (3.0, 0.3, True), (3.0, 0.9, False)],
    ids=["slow", "low-risk", "not-a-reply"],
)
def test_pile_on_needs_speed_risk_and_a_reply(velocity: float, risk: float, is_reply: bool) -> None:
    mention = scored(
        "r1",
        root_id="root" if is_reply else None,
        tier=ReachTier.NANO,
        velocity=velocity,
        risk=risk,
    )
    assert classify(mention=mention, policy=POLICY).action is Action.TRIAGE


def test_surge_pages_when_volume_is_well_above_baseline() -> None:
    mention = scored("s1", tier=ReachTier.NANO)
    surge = classify(mention=mention, policy=POLICY, volume=BrandVolume(negatives=30, baseline=5))
    assert (surge.action, surge.rule, surge.severity) == (
        Action.PAGE,
        RULE_BRAND_SURGE,
        Severity.WARNING,
    )
    assert "30 negative mentions in the last hour, 6.0x the usual 5.0" in surge.reason
    for volume in (BrandVolume(negatives=19, baseline=0), BrandVolume(negatives=30, baseline=12)):
        assert classify(mention=mention, policy=POLICY, volume=volume).action is Action.TRIAGE


def test_brand_volume_pairs_a_count_with_the_scorers_baseline() -> None:
    mention = scored("s1", brand_now=40, brand_baseline=4.0)
    assert brand_volume(mention=mention, negatives=25) == BrandVolume(negatives=25, baseline=4.0)
    assert brand_volume(mention=scored("s2"), negatives=25) is None  # not computed by the scorer
    assert BrandVolume(negatives=5, baseline=0.2).ratio == 5.0  # a baseline under 1 counts as 1


def test_rules_can_be_switched_off_per_brand() -> None:
    quiet = BrandPolicy.model_validate(
        {
            "large_audience_complaint": {"enabled": False},
            "pile_on": {"enabled": False},
            "brand_surge": {"enabled": False},
            "triage": {"enabled": False},
            "smile_back": {"enabled": False},
        }
    )
    big = scored("m1", velocity=5, risk=0.9, root_id="r")
    assert classify(mention=big, policy=quiet, volume=BrandVolume(99, 1)).action is Action.NONE
    kind = scored("m2", text="thanks acme", negativity=0.0, sentiment=Sentiment.POSITIVE)
    assert classify(mention=kind, policy=quiet).action is Action.NONE


def test_thresholds_are_honoured() -> None:
    strict = BrandPolicy.model_validate(
        {"large_audience_complaint": {"min_negativity": 0.99, "tiers": ["mega"]}}
    )
    assert classify(mention=scored("m1"), policy=strict).action is Action.TRIAGE
    assert (
        classify(mention=scored("m2", tier=ReachTier.MEGA), policy=strict).action is Action.TRIAGE
    )
    mega = scored("m3", tier=ReachTier.MEGA, negativity=0.995)
    assert classify(mention=mega, policy=strict).action is Action.PAGE


def test_queues_follow_action_and_page_needs_severity() -> None:
    triage = classify(mention=scored("m1", tier=ReachTier.NANO), policy=POLICY)
    kind = classify(
        mention=scored("m2", text="hi @acmehelp!", negativity=0.0, sentiment=Sentiment.POSITIVE),
        policy=POLICY,
    )
    assert triage.queue is QueueName.TRIAGE
    assert kind.queue is QueueName.SMILE_BACK
    with pytest.raises(ValueError, match="severity"):
        Decision(Action.PAGE)


def test_handles_are_per_brand() -> None:
    other = scored(
        "m1", brand="globex", text="thanks @acmehelp", negativity=0.0, sentiment=Sentiment.POSITIVE
    )
    assert classify(mention=other, policy=BrandPolicy()).action is Action.NONE


def kind(mention_id: str, text: str, *, brand: str = "acme") -> ScoredMention:
    return scored(mention_id, text=text, brand=brand, negativity=0.05, sentiment=Sentiment.POSITIVE)


@pytest.mark.parametrize(
    ("text", "addressed"),
    [
        ("Acme's new cup is lovely", True),
        ("thanks @ACME!", True),
        ("loving it #acme", True),
        ("thank you @AcmeHelp.", True),
        ("acmetools are lovely", False),
        ("thanks @acmehelpdesk", False),
        ("write to x@acme, lovely", False),
        ("thanks @acme.bsky.social", False),  # another account: handles match whole tokens
        ("thanks @acme@mastodon.social", False),
        ("thanks @acmehelp-uk", False),
        ("#acme-fans are lovely", False),
    ],
)
def test_kind_mentions_addressed_to_the_brand(text: str, addressed: bool) -> None:
    action = classify(mention=kind("k1", text), policy=POLICY).action
    assert action is (Action.SMILE_BACK if addressed else Action.NONE)


def test_a_brand_name_of_two_words_is_a_phrase() -> None:
    policy = BrandPolicy()
    for text, action in (("ACME  Coffee rocks", Action.SMILE_BACK), ("acme rocks", Action.NONE)):
        decision = classify(mention=kind("k1", text, brand="acme coffee"), policy=policy)
        assert decision.action is action


def test_the_addressee_rule_is_compiled_once_per_brand(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled: list[Node] = []

    def counting(tree: Node) -> CompiledRule:
        compiled.append(tree)
        return compile_tree(tree)

    monkeypatch.setattr(policy_addressee, "compile_tree", counting)
    policy = BrandPolicy(handles=("@oncehelp",))
    for i in range(5):
        classify(mention=kind(f"k{i}", "thanks @oncehelp", brand="onceco"), policy=policy)
    classify(mention=kind("k9", "thanks onceco", brand="onceco"), policy=BrandPolicy())
    assert len(compiled) == 2  # one per (brand, handles), not one per mention


def test_surge_ratio_is_negatives_over_the_scorers_baseline_floored_at_one() -> None:
    assert BrandVolume(negatives=30, baseline=10.0).ratio == 3.0
    assert BrandVolume(negatives=20, baseline=0.0).ratio == 20.0
    at_threshold = BrandVolume(negatives=30, baseline=10.0)  # min_ratio 3.0 is inclusive
    mention = scored("s1", tier=ReachTier.NANO)
    assert classify(mention=mention, policy=POLICY, volume=at_threshold).rule == RULE_BRAND_SURGE
    below = BrandVolume(negatives=30, baseline=10.5)
    assert classify(mention=mention, policy=POLICY, volume=below).action is Action.TRIAGE


LOST_KEYS = "@acmecoffee thanks for helping me find my lost keys yesterday, really appreciate it!"
DEMO = BrandPolicy(handles=("@acmecoffee",))


def test_a_reply_to_a_person_naming_a_place_is_not_kindness_to_us() -> None:
    decision = classify(mention=kind("k1", "@okafor_j see you at Acme Coffee then."), policy=DEMO)
    assert decision.action is Action.NONE


@pytest.mark.parametrize("tier", [ReachTier.NONE, ReachTier.MICRO, ReachTier.MACRO])
def test_a_thank_you_the_model_doubts_reaches_smile_back(tier: ReachTier) -> None:
    mention = scored("t1", text=LOST_KEYS, negativity=0.42, is_negative=True, tier=tier)
    assert mention.scores.is_negative
    decision = classify(mention=mention, policy=DEMO)
    assert (decision.action, decision.queue) == (Action.SMILE_BACK, QueueName.SMILE_BACK)
    assert decision.reason == "thanks us, addressed to us (negativity 0.42)"


@pytest.mark.parametrize(
    ("text", "negativity", "action"),
    [
        (LOST_KEYS, 0.6, Action.TRIAGE),  # the bound is exclusive: confident enough to doubt it
        ("@acmecoffee thanks for nothing, my order was wrong again", 0.45, Action.TRIAGE),
        ("@okafor_j thanks for finding my lost keys at Acme Coffee", 0.45, Action.TRIAGE),
        (LOST_KEYS, 0.9, Action.PAGE),  # a confident large-audience complaint still pages
    ],
)
def test_a_thank_you_stays_a_complaint_when_it_is_one(
    text: str, negativity: float, action: Action
) -> None:
    mention = scored("t2", text=text, negativity=negativity, is_negative=True)
    assert classify(mention=mention, policy=DEMO).action is action


def test_the_thanks_bound_is_per_brand_and_off_with_smile_back() -> None:
    mention = scored("t3", text=LOST_KEYS, negativity=0.55, is_negative=True)
    strict = DEMO.model_copy(update={"smile_back": SmileBackRule(thanks_max_negativity=0.5)})
    off = DEMO.model_copy(update={"smile_back": SmileBackRule(enabled=False)})
    assert classify(mention=mention, policy=DEMO).action is Action.SMILE_BACK
    assert classify(mention=mention, policy=strict).action is Action.TRIAGE
    assert classify(mention=mention, policy=off).action is Action.TRIAGE
