"""The threshold search and the quality numbers we report."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import f1_score, precision_recall_curve, precision_score, recall_score

from smileback.scorer.model.card import SplitMetrics
from smileback.scorer.model.negativity import NEGATIVE

__all__ = ["best_threshold", "split_metrics"]


def best_threshold(*, labels: np.ndarray[Any, Any], negativity: np.ndarray[Any, Any]) -> float:
    """The P(negative) cut that maximises F1 of the negative class on these labels."""
    truth = labels == NEGATIVE
    if not truth.any() or truth.all():
        raise ValueError("threshold tuning needs both negative and other examples")
    precision, recall, cuts = precision_recall_curve(truth, negativity)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    # The last precision/recall pair has no cut; ties go to the highest cut (fewer pages).
    best = len(cuts) - 1 - int(np.argmax(f1[:-1][::-1]))
    return round(float(cuts[best]), 6)


def split_metrics(
    *,
    labels: np.ndarray[Any, Any],
    predicted: np.ndarray[Any, Any],
    flagged: np.ndarray[Any, Any],
    seen_in: str,
) -> SplitMetrics:
    """Negative-class precision/recall/F1 of `flagged` (is_negative), three-class macro F1 and
    recall of `predicted` (sentiment)."""
    truth, said = labels == NEGATIVE, flagged
    classes = [0, 1, 2]
    return SplitMetrics(
        rows=len(labels),
        negative_precision=_r(precision_score(truth, said, zero_division=0)),
        negative_recall=_r(recall_score(truth, said, zero_division=0)),
        negative_f1=_r(f1_score(truth, said, zero_division=0)),
        macro_f1=_r(f1_score(labels, predicted, labels=classes, average="macro", zero_division=0)),
        macro_recall=_r(
            recall_score(labels, predicted, labels=classes, average="macro", zero_division=0)
        ),
        seen_in=seen_in,
    )


def _r(value: float) -> float:
    return round(float(value), 4)
