"""How close a retrain on another machine must come to the shipped card.

On the machine and library build that made it, `smileback train` rewrites the shipped
artifact byte for byte. Elsewhere numpy's and OpenBLAS's CPU-specific kernels (see
`numerics`) may change last digits of the idf weights, the SVM and the calibrators, so
the artifact's hash may differ. What must hold anywhere: the same data, parameters and
library versions; the same threshold within `THRESHOLD_TOLERANCE`; every reported
metric within `METRIC_TOLERANCE`. The README gives the measurements behind both.
"""

from __future__ import annotations

from smileback.scorer.model.card import ModelCard, SplitMetrics

__all__ = ["METRIC_TOLERANCE", "THRESHOLD_TOLERANCE", "retrain_differences"]

# One grid step of the threshold search: a score crossing a grid cut may move it one step.
THRESHOLD_TOLERANCE = 0.001
# About one flipped decision in the smallest set (500 rows, 220 negative: one negative
# more or less caught moves its recall by 0.0045); a broken training moves them by tenths.
METRIC_TOLERANCE = 0.005

# Card fields that depend only on the code, the data and the library versions.
_EXACT = (
    "name",
    "format",
    "version",
    "artifact",
    "class_prior",
    "labels",
    "seed",
    "scikit_learn",
    "numpy",
    "training_data",
    "threshold_data",
    "parameters",
    "notes",
)
_SCORES = ("negative_precision", "negative_recall", "negative_f1", "macro_f1", "macro_recall")


def retrain_differences(*, shipped: ModelCard, retrained: ModelCard) -> list[str]:
    """Every way `retrained` falls outside what a retrain must reproduce; empty if none."""
    problems = [
        f"{field}: shipped {getattr(shipped, field)!r}, retrained {getattr(retrained, field)!r}"
        for field in _EXACT
        if getattr(shipped, field) != getattr(retrained, field)
    ]
    if abs(shipped.threshold - retrained.threshold) > THRESHOLD_TOLERANCE:
        problems.append(
            f"threshold: shipped {shipped.threshold}, retrained {retrained.threshold} "
            f"(tolerance {THRESHOLD_TOLERANCE})"
        )
    if shipped.metrics.keys() != retrained.metrics.keys():
        problems.append(
            f"metrics: shipped sets {sorted(shipped.metrics)}, "
            f"retrained sets {sorted(retrained.metrics)}"
        )
    for name in sorted(shipped.metrics.keys() & retrained.metrics.keys()):
        problems += _metric_differences(name, shipped.metrics[name], retrained.metrics[name])
    return problems


def _metric_differences(name: str, shipped: SplitMetrics, retrained: SplitMetrics) -> list[str]:
    problems = [
        f"metrics.{name}.{field}: shipped {getattr(shipped, field)!r}, "
        f"retrained {getattr(retrained, field)!r}"
        for field in ("rows", "seen_in")
        if getattr(shipped, field) != getattr(retrained, field)
    ]
    for score in _SCORES:
        was, now = getattr(shipped, score), getattr(retrained, score)
        if abs(was - now) > METRIC_TOLERANCE:
            problems.append(
                f"metrics.{name}.{score}: shipped {was}, retrained {now} "
                f"(tolerance {METRIC_TOLERANCE})"
            )
    return problems
