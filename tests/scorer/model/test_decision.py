"""From probabilities to is_negative and sentiment, and the prior the card stores."""

import numpy as np
import pytest

from smileback.scorer.model.negativity import NEGATIVE, NEUTRAL, POSITIVE, Decision
from smileback.training.training import class_prior

RULE = Decision(threshold=0.37, prior=(0.15, 0.45, 0.40))


def test_is_negative_is_the_threshold_on_p_negative():
    proba = np.array([[0.37, 0.33, 0.30], [0.369, 0.331, 0.30]], dtype=np.float32)
    assert RULE.is_negative(proba).tolist() == [True, False]


def test_sentiment_weighs_the_classes_by_their_prior():
    proba = np.array(
        [
            [0.30, 0.40, 0.30],  # leans negative: 0.30 / 0.15 beats 0.40 / 0.45
            [0.05, 0.50, 0.45],  # 0.45 / 0.40 beats 0.50 / 0.45: positive
            [0.05, 0.60, 0.35],  # neutral
        ],
        dtype=np.float32,
    )
    assert RULE.sentiment(proba).tolist() == [NEGATIVE, POSITIVE, NEUTRAL]
    assert RULE.is_negative(proba).tolist() == [False, False, False]


def test_a_flagged_text_is_always_negative_whatever_the_prior():
    skewed = Decision(threshold=0.2, prior=(0.9, 0.05, 0.05))
    proba = np.array([[0.25, 0.70, 0.05]], dtype=np.float32)
    assert skewed.is_negative(proba).tolist() == [True]
    assert skewed.sentiment(proba).tolist() == [NEGATIVE]


def test_an_even_prior_is_the_plain_argmax_below_the_threshold():
    even = Decision(threshold=0.9, prior=(1 / 3, 1 / 3, 1 / 3))
    proba = np.random.default_rng(1).dirichlet([1, 1, 1], size=200).astype(np.float32)
    below = proba[:, NEGATIVE] < 0.9
    assert (even.sentiment(proba)[below] == proba[below].argmax(axis=1)).all()


def test_class_prior_counts_rows_by_their_weight():
    labels = np.array([0, 1, 1, 2])
    assert class_prior(labels=labels, weights=None) == (0.25, 0.5, 0.25)
    weighted = class_prior(labels=labels, weights=np.array([3.0, 1.0, 1.0, 1.0]))
    assert weighted == pytest.approx((0.5, 1 / 3, 1 / 6), abs=1e-6)
