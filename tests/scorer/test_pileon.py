"""Pile-on risk: the credibility weights, the formula, and synthetic conversations through the
pipeline (the text scorer double calls every text containing "bad" negative)."""

from datetime import timedelta

import pytest

from smileback.common.events import Author, Mention
from smileback.scorer.pileon import credibility, pile_on_risk
from smileback.scorer.pipeline import ScoringPipeline
from tests.scorer.doubles import CountingScorer
from tests.support.builders import T0

ORDINARY = {"followers": 200, "created_at": T0 - timedelta(days=900)}
THROWAWAY = {"followers": 0, "created_at": T0 - timedelta(days=1)}


def _conversation(replies, *, root_followers=250_000):
    """A root complaint, then (minutes, text, author fields) replies; the scored replies."""
    root = Mention(
        id="root",
        text="bad service",
        brand="acme",
        created_at=T0,
        author={"id": "big", "followers": root_followers},
    )
    mentions = [root] + [
        Mention(
            id=f"r{i}",
            text=text,
            brand="acme",
            created_at=T0 + timedelta(minutes=minutes),
            thread={"root_id": "root", "parent_id": "root"},
            author={"id": f"u{i}", **author},
        )
        for i, (minutes, text, author) in enumerate(replies)
    ]
    pipeline = ScoringPipeline(scorer=CountingScorer())
    return [s.scores for s in pipeline.score_batch(mentions=mentions, now=T0)[1:]]


@pytest.mark.parametrize(
    ("author", "weight"),
    [
        (Author(followers=200), 1.0),
        (Author(followers=200, bot=True), 0.1),
        (Author(followers=9), 0.5),
        (Author(followers=200, created_at=T0), 0.1),
        (Author(followers=200, created_at=T0 - timedelta(days=15)), 0.55),
        (Author(followers=200, created_at=T0 - timedelta(days=30)), 1.0),
        (Author(followers=200, created_at=T0 + timedelta(days=1)), 0.1),  # clock skew
        (Author(followers=0, bot=True, created_at=T0), 0.005),
    ],
)
def test_credibility_discounts_bots_empty_and_new_accounts(author, weight):
    assert credibility(author=author, at=T0) == pytest.approx(weight)


BASE = {
    "root_reach": 0.5,
    "credible_velocity": 1.0,
    "negative_share": 0.5,
    "velocity": 1.0,
    "previous_velocity": 0.5,
}


@pytest.mark.parametrize("field", ["root_reach", "credible_velocity", "negative_share", "velocity"])
def test_risk_rises_with_each_input(field):
    assert pile_on_risk(**{**BASE, field: BASE[field] + 0.4}) > pile_on_risk(**BASE)


def test_risk_falls_as_the_thread_cools_and_stays_in_range():
    assert pile_on_risk(**{**BASE, "previous_velocity": 2.0}) < pile_on_risk(**BASE)
    assert pile_on_risk(**{**BASE, "credible_velocity": 0.0}) == 0.0
    assert pile_on_risk(**{**BASE, "negative_share": 0.0}) == 0.0
    top = {"root_reach": 1.0, "negative_share": 1.0, "velocity": 1e9, "previous_velocity": 0.0}
    assert pile_on_risk(**top, credible_velocity=1e9) == pytest.approx(1.0)


def test_a_pile_on_forming_under_a_large_account_is_high_risk():
    scores = _conversation([(i * 4 / 60, "bad bad", ORDINARY) for i in range(30)])  # 2 minutes
    risks = [s.pile_on_risk for s in scores]
    assert risks[-1] >= 0.8
    assert risks == sorted(risks)  # rising with every reply
    assert scores[-1].thread_velocity == pytest.approx(3.0)
    assert scores[-1].thread_acceleration == pytest.approx(0.3)


def test_a_calm_thread_stays_low():
    scores = _conversation([(i * 48, "bad bad", ORDINARY) for i in range(30)])  # over a day
    assert max(s.pile_on_risk for s in scores) <= 0.1
    assert max(s.thread_velocity for s in scores) == pytest.approx(0.1)


def test_a_viral_positive_thread_stays_low():
    # 300 replies in ten minutes, one in twenty negative.
    replies = [(i / 30, "bad" if i % 20 == 0 else "lovely, thanks", ORDINARY) for i in range(300)]
    scores = _conversation(replies)
    assert max(s.pile_on_risk for s in scores) <= 0.2
    assert scores[-1].thread_velocity == pytest.approx(1.5)  # the negatives are still counted


def test_a_bot_storm_of_new_zero_follower_accounts_is_discounted():
    storm = _conversation([(i * 4 / 60, "bad bad", THROWAWAY) for i in range(30)])
    flagged = _conversation(
        [(i * 4 / 60, "bad bad", {"followers": 0, "bot": True}) for i in range(30)]
    )
    real = _conversation([(i * 4 / 60, "bad bad", ORDINARY) for i in range(30)])
    assert storm[-1].thread_velocity == real[-1].thread_velocity  # as fast ...
    assert storm[-1].pile_on_risk <= 0.2  # ... but hardly credible
    assert flagged[-1].pile_on_risk <= 0.15
    assert storm[-1].pile_on_risk < real[-1].pile_on_risk / 4


def test_one_person_replying_thirty_times_is_not_a_pile_on():
    same = {"id": "one-angry-person", **ORDINARY}
    scores = _conversation([(i * 4 / 60, "bad bad", same) for i in range(30)])
    assert scores[-1].thread_velocity == pytest.approx(3.0)
    assert scores[-1].pile_on_risk <= 0.1
