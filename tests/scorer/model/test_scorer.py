"""The shipped model through the TextScorer protocol."""

import re

import numpy as np
import pytest

from smileback.common.events import Sentiment
from smileback.scorer.factory import default_pipeline, shipped_scorer
from smileback.scorer.model.normalise import NEGATED_PREFIX
from smileback.scorer.text_scoring import TextScorer
from tests.support.builders import T0, mention

COMPLAINT = "@acme this is the worst service, I am furious"
PRAISE = "thank you @acme, lovely coffee!"
LARGE_COMPLAINT = (
    "@acmecoffee my order was wrong THREE times this week and your support has ignored "
    "every single message. Worst service I have had in years. Really disappointed."
)


@pytest.fixture(scope="module")
def scorer():
    return shipped_scorer()


def test_it_fits_the_protocol_and_names_its_card(scorer):
    as_protocol: TextScorer = scorer
    assert as_protocol.model_version == scorer.card.model_version
    assert re.fullmatch(r"negativity-3-[0-9a-f]{8}", scorer.model_version)


def test_default_pipeline_uses_the_shipped_model():
    (out,) = default_pipeline().score_batch(mentions=[mention("a", COMPLAINT)], now=T0)
    assert out.scores.model_version == shipped_scorer().model_version
    assert out.scores.is_negative
    assert "worst" in out.scores.explanation


def test_clear_cases(scorer):
    complaint, praise, question = scorer.score_texts([COMPLAINT, PRAISE, "what time do you open?"])
    assert complaint.is_negative
    assert complaint.sentiment is Sentiment.NEGATIVE
    assert not praise.is_negative
    assert praise.sentiment is Sentiment.POSITIVE
    assert not question.is_negative
    assert question.sentiment is Sentiment.NEUTRAL
    assert praise.negativity < 0.1 < complaint.negativity


def test_the_demo_complaint_is_confident_enough_to_page(scorer):
    (score,) = scorer.score_texts([LARGE_COMPLAINT])
    assert score.is_negative
    assert score.negativity >= 0.8  # the alert policy's default page_min_negativity


def test_probabilities_are_calibrated_shaped(scorer):
    texts = [PRAISE, "the shop opens at nine", "meh, not great", COMPLAINT, "", "?!", "😡"]
    rows = scorer.model.features.transform(texts)
    proba = scorer.model.probabilities(rows)
    assert proba.shape == (len(texts), 3)
    assert ((proba >= 0) & (proba <= 1)).all()
    assert np.allclose(proba.sum(axis=1), 1.0, atol=1e-5)


def test_negativity_rises_with_hostility(scorer):
    texts = [
        "I love this, thank you so much!",
        "the shop opens at nine tomorrow",
        "not great, a bit slow today",
        "this is bad, really disappointed",
        "worst service ever, I hate this, absolutely furious",
    ]
    negativity = [s.negativity for s in scorer.score_texts(texts)]
    assert negativity == sorted(negativity)
    assert negativity[0] < 0.1
    assert negativity[-1] > 0.8


def test_negation_and_emphasis_move_the_score(scorer):
    happy, not_happy = scorer.score_texts(
        ["I am happy with the app", "I am not happy with the app"]
    )
    assert not_happy.negativity > happy.negativity + 0.3
    calm, shouted = scorer.score_texts(["the app is bad", "the app is BAAAD 😡"])
    assert shouted.negativity > calm.negativity


def test_explanations_name_terms_from_the_text(scorer):
    texts = [
        COMPLAINT,
        PRAISE,
        LARGE_COMPLAINT,
        "the delivery was late again and the driver was rude",
        "not happy at all with the new app",
    ]
    for text, score in zip(texts, scorer.score_texts(texts), strict=True):
        assert score.explanation, text
        assert len(score.explanation) <= 5
        assert len(set(score.explanation)) == len(score.explanation)
        words = re.sub(r"[^\w' ]", " ", text.lower()).split()
        for term in score.explanation:
            for word in term.removeprefix("(not) ").split():
                assert word.removeprefix(NEGATED_PREFIX) in words, (term, text)


def test_neutral_text_has_no_explanation(scorer):
    (score,) = scorer.score_texts(["the shop opens at nine tomorrow"])
    assert score.sentiment is Sentiment.NEUTRAL
    assert score.explanation == ()


def test_a_batch_equals_one_call_per_text_and_keeps_order(scorer):
    texts = [PRAISE, "", COMPLAINT, "x" * 10_000, "🙂", LARGE_COMPLAINT]
    batched = scorer.score_texts(texts)
    alone = [scorer.score_texts([text])[0] for text in texts]
    assert [s.sentiment for s in batched] == [s.sentiment for s in alone]
    assert [s.explanation for s in batched] == [s.explanation for s in alone]
    assert np.allclose([s.negativity for s in batched], [s.negativity for s in alone], atol=1e-6)
    assert scorer.score_texts([]) == []
