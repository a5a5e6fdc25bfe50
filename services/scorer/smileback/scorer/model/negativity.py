"""The trained model as plain arrays: features, linear weights, sigmoid calibrators.

Probabilities follow scikit-learn's CalibratedClassifierCV(method="sigmoid") for a
linear estimator, one-vs-rest: per class k, d_k = x·w_k + b_k, then
p_k = 1 / (1 + exp(a_k d_k + c_k)), and the three are divided by their sum. Training
checks these equal scikit-learn's own `predict_proba`. Holding arrays rather than
scikit-learn objects keeps the artifact small, fast, and plain data (see `archive`).

Explanations: the contribution of column j to class k in row i is x_ij * w_kj, the
exact share of that feature in the class's linear score. The terms shown are the word
n-grams with the largest positive contributions to the predicted class, leaving out
placeholders (@user, links), markers and n-grams made only of stop words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]  # scipy ships no stubs

from smileback.scorer.model.features import SocialFeatures
from smileback.scorer.model.normalise import NEGATED_PREFIX
from smileback.scorer.model.symbols import SYMBOL_TEXT

__all__ = [
    "NEGATIVE",
    "NEUTRAL",
    "POSITIVE",
    "Decision",
    "FloatArray",
    "NegativityModel",
    "explainable_columns",
    "readable_term",
]

NEGATIVE, NEUTRAL, POSITIVE = 0, 1, 2
FloatArray = np.ndarray[Any, np.dtype[np.float32]]


@dataclass
class NegativityModel:
    """Everything scoring needs, fitted by `smileback train`."""

    features: SocialFeatures
    coef: FloatArray  # (3, columns)
    intercept: FloatArray  # (3,)
    calibration_a: FloatArray  # (3,)
    calibration_b: FloatArray  # (3,)
    explainable: np.ndarray[Any, np.dtype[np.bool_]]  # (columns,) worth showing a person
    # Derived on first use, never stored.
    _grams: list[str] = field(default_factory=list, repr=False)
    _weights: FloatArray = field(default_factory=lambda: np.zeros((0, 3), np.float32), repr=False)
    _terms: dict[int, str | None] = field(default_factory=dict, repr=False)  # column -> shown

    def probabilities(self, rows: sp.csr_matrix) -> FloatArray:
        """Calibrated P(negative), P(neutral), P(positive) per row."""
        if self._weights.shape[0] != self.coef.shape[1]:
            # sparse @ dense copies a non-contiguous dense operand on every call; keep one.
            self._weights = np.ascontiguousarray(self.coef.T)
        decision = rows @ self._weights + self.intercept
        proba = 1.0 / (1.0 + np.exp(self.calibration_a * decision + self.calibration_b))
        total = proba.sum(axis=1, keepdims=True)
        # Extreme scores can underflow all three to zero in float32: then uniform, as
        # scikit-learn does.
        uniform = np.full_like(proba, 1.0 / proba.shape[1])
        calibrated: FloatArray = np.where(
            total > 0, proba / np.where(total > 0, total, 1.0), uniform
        )
        return calibrated

    def explain(
        self, rows: sp.csr_matrix, *, classes: np.ndarray, wanted: np.ndarray, top: int
    ) -> list[tuple[str, ...]]:
        """Per row, the `top` readable terms pushing it most towards `classes[row]`."""
        row_of = np.repeat(np.arange(rows.shape[0]), np.diff(rows.indptr))
        # Few entries are explainable and in a wanted row: only theirs are weighed.
        keep = self.explainable[rows.indices] & wanted[row_of]
        row_of, columns = row_of[keep], rows.indices[keep]
        contribution = rows.data[keep] * self.coef[classes[row_of], columns]
        keep = contribution > 0
        row_of, columns, contribution = row_of[keep], columns[keep], contribution[keep]
        order = np.lexsort((-contribution, row_of))  # by row, strongest first within a row
        terms = self._terms
        explained: list[list[str]] = [[] for _ in range(rows.shape[0])]
        for row, column in zip(row_of[order].tolist(), columns[order].tolist(), strict=True):
            chosen = explained[row]
            if len(chosen) < top:
                term = terms.get(column)
                if term is None:
                    term = terms[column] = readable_term(self._word_grams()[column])
                if term is not None and term not in chosen:
                    chosen.append(term)
        return [tuple(chosen) for chosen in explained]

    def _word_grams(self) -> list[str]:
        """Column -> word n-gram, built once."""
        if not self._grams:
            grams = [""] * self.features.n_word
            for gram, column in self.features.word_vocabulary.items():
                grams[column] = gram
            self._grams = grams
        return self._grams


def explainable_columns(
    *, features: SocialFeatures, stop_words: frozenset[str]
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """True for word n-grams a person can read that are not only stop words."""
    mask = np.zeros(features.n_columns, dtype=bool)
    for gram, column in features.word_vocabulary.items():
        words = [token.removeprefix(NEGATED_PREFIX) for token in gram.split(" ")]
        readable = readable_term(gram) is not None
        mask[column] = readable and not all(word in stop_words for word in words)
    return mask


@dataclass(frozen=True)
class Decision:
    """How calibrated probabilities become `is_negative` and the three-way `sentiment`.

    `is_negative` is the paging decision: P(negative) >= threshold, the cut that maximises
    negative-class F1. `sentiment` is the label with the highest P(label) / prior, which
    weighs the classes equally (the rule that maximises macro-averaged recall), except that
    a text that is_negative is always negative, so a page never says "neutral". A text can
    lean negative (sentiment) without being sure enough to page (is_negative).
    """

    threshold: float
    prior: tuple[float, float, float]

    def is_negative(self, proba: FloatArray) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """One flag per row: P(negative) at or over the threshold."""
        return np.asarray(proba[:, NEGATIVE] >= self.threshold)

    def sentiment(self, proba: FloatArray) -> np.ndarray[Any, np.dtype[np.int64]]:
        """One label per row: 0 negative, 1 neutral, 2 positive."""
        balanced = np.argmax(proba / np.asarray(self.prior, dtype=np.float64), axis=1)
        return np.where(self.is_negative(proba), NEGATIVE, balanced).astype(np.int64)


def readable_term(gram: str) -> str | None:
    """A word n-gram as a person reads it; None for placeholders, markers and punctuation.

    A gram starting inside a negation reads "(not) good"; one that holds its cue reads
    as written ("not good", "don't like").
    """
    words: list[str] = []
    for token in gram.split(" "):
        plain = token.removeprefix(NEGATED_PREFIX)
        if plain.startswith("xx") or plain[:1] in ("!", "?"):
            return None
        words.append(SYMBOL_TEXT.get(plain, plain))
    text = " ".join(words)
    return f"(not) {text}" if gram.startswith(NEGATED_PREFIX) else text
