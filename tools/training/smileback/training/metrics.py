"""The threshold search and the quality numbers we report."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import f1_score, precision_score, recall_score

from smileback.scorer.model.card import SplitMetrics
from smileback.scorer.model.negativity import NEGATIVE

__all__ = ["THRESHOLD_STEP", "THRESHOLD_WINDOW", "best_threshold", "split_metrics"]

# The threshold grid and the half-width of the F1 plateau it is chosen on.
THRESHOLD_STEP = 0.001
THRESHOLD_WINDOW = 0.02


def best_threshold(*, labels: np.ndarray[Any, Any], negativity: np.ndarray[Any, Any]) -> float:
    """The P(negative) cut in the middle of the best stretch of negative-class F1.

    Candidate cuts are a fixed grid (`THRESHOLD_STEP` apart), each rated by the mean F1
    of the cuts within `THRESHOLD_WINDOW` of it; the best-rated run of cuts (the highest
    one on a tie: fewer pages) gives its middle. The exact F1 maximum over the scores
    themselves is one score picked among near-ties, so last-digit differences between
    machines can move it; a grid cut moves only when a score crosses it, and the mean
    favours a broad plateau over a spike.
    """
    truth = labels == NEGATIVE
    if not truth.any() or truth.all():
        raise ValueError("threshold tuning needs both negative and other examples")
    # Compared in the scores' own dtype, as `Decision.is_negative` compares the stored cut.
    grid = np.round(np.arange(1, round(1 / THRESHOLD_STEP)) * THRESHOLD_STEP, 6)
    grid = grid.astype(negativity.dtype)
    flagged = len(negativity) - np.searchsorted(np.sort(negativity), grid, side="left")
    caught = truth.sum() - np.searchsorted(np.sort(negativity[truth]), grid, side="left")
    f1 = 2 * caught / (flagged + truth.sum())  # 2TP / (2TP + FP + FN)
    rating = _window_mean(f1, half=round(THRESHOLD_WINDOW / THRESHOLD_STEP))
    best = np.flatnonzero(rating >= rating.max() - 1e-12)
    # The highest run of equally rated cuts, then its middle.
    start = best[-1]
    while start - 1 in best:
        start -= 1
    return round(float(grid[(start + best[-1]) // 2]), 6)


def _window_mean(values: np.ndarray[Any, Any], *, half: int) -> np.ndarray[Any, Any]:
    """Each value's mean with its `half` neighbours on either side (fewer at the ends)."""
    total = np.concatenate(([0.0], np.cumsum(values)))
    at = np.arange(len(values))
    low, high = np.maximum(at - half, 0), np.minimum(at + half + 1, len(values))
    mean: np.ndarray[Any, Any] = (total[high] - total[low]) / (high - low)
    return mean


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
