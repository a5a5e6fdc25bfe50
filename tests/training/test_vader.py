import pytest

from smileback.common.events import Sentiment
from smileback.scorer.text_scoring import TextScorer
from smileback.training.vader import InterimLexiconScorer

COMPLAINT = "Acme support is terrible, the worst service ever. I hate this :("
PRAISE = "Thank you Acme, the team was amazing and so helpful!"
NEUTRAL = "Does Acme ship to Canada this week?"


@pytest.fixture(scope="module")
def scorer():
    return InterimLexiconScorer()


def test_it_says_it_is_the_interim_scorer_and_fits_the_protocol(scorer):
    as_protocol: TextScorer = scorer
    assert as_protocol.model_version == "interim-vader-1"


def test_clear_complaint_is_negative_with_its_worst_terms(scorer):
    (score,) = scorer.score_texts([COMPLAINT])
    assert score.is_negative
    assert score.sentiment is Sentiment.NEGATIVE
    assert score.negativity > 0.9
    assert set(score.explanation) == {"worst", "hate", "terrible", ":("}
    assert score.explanation[0] == "worst"  # strongest valence first (-3.1)


def test_praise_is_positive_and_explained_by_positive_terms(scorer):
    (score,) = scorer.score_texts([PRAISE])
    assert not score.is_negative
    assert score.sentiment is Sentiment.POSITIVE
    assert score.negativity < 0.01
    assert "amazing" in score.explanation
    assert "helpful" in score.explanation


def test_neutral_text_is_well_under_one_half(scorer):
    (score,) = scorer.score_texts([NEUTRAL])
    assert score.sentiment is Sentiment.NEUTRAL
    assert not score.is_negative
    assert 0.05 < score.negativity < 0.2
    assert score.explanation == ()


def test_mildly_negative_is_labelled_negative_but_not_decided_negative(scorer):
    (score,) = scorer.score_texts(["meh"])  # VADER compound -0.08
    assert score.sentiment is Sentiment.NEGATIVE
    assert not score.is_negative
    assert score.negativity < 0.5


def test_negativity_is_monotone_in_hostility(scorer):
    scores = scorer.score_texts([PRAISE, NEUTRAL, "meh", "this is bad", COMPLAINT])
    negativity = [s.negativity for s in scores]
    assert negativity == sorted(negativity)
    assert all(0.0 <= n <= 1.0 for n in negativity)


def test_explanation_keeps_at_most_five_distinct_terms(scorer):
    text = "awful awful terrible horrible worst hate disgusting pathetic useless"
    (score,) = scorer.score_texts([text])
    assert len(score.explanation) == 5
    assert len(set(score.explanation)) == 5


def test_a_batch_keeps_order_and_handles_empty_text(scorer):
    scores = scorer.score_texts([PRAISE, "", COMPLAINT])
    assert [s.sentiment for s in scores] == [
        Sentiment.POSITIVE,
        Sentiment.NEUTRAL,
        Sentiment.NEGATIVE,
    ]
    assert scorer.score_texts([]) == []
