"""`smileback evaluate`: a quality table for the model and the VADER baseline, and two plots.

Each labelled set is scored by both scorers through the same TextScorer call the
pipeline makes. The table gives negative-class precision/recall/F1 and three-class
macro F1/recall; `pr_curve.png` draws precision against recall of the negative class
(the model's threshold marked), `calibration.png` the observed share of negatives
against the predicted P(negative).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

from smileback.common.events import Sentiment
from smileback.scorer.model.card import SplitMetrics
from smileback.scorer.text_scoring import TextScorer
from smileback.training.data import NEGATIVE, Labelled
from smileback.training.metrics import split_metrics

__all__ = ["CALIBRATION", "PR_CURVE", "EvalSet", "Evaluation", "evaluate", "format_table"]

PR_CURVE = "pr_curve.png"
CALIBRATION = "calibration.png"
_INDEX = {Sentiment.NEGATIVE: 0, Sentiment.NEUTRAL: 1, Sentiment.POSITIVE: 2}


@dataclass(frozen=True)
class EvalSet:
    """A labelled set and which training step, if any, saw it."""

    name: str
    data: Labelled
    seen_in: str


@dataclass(frozen=True)
class Evaluation:
    """One row of the table: a scorer on a set."""

    dataset: str
    scorer: str
    metrics: SplitMetrics
    negativity: np.ndarray
    labels: np.ndarray
    flagged: np.ndarray  # is_negative, per text

    @property
    def negative_accuracy(self) -> float:
        """The share of texts whose is_negative agrees with their label being negative."""
        return (
            float(np.mean(self.flagged == (self.labels == NEGATIVE))) if len(self.labels) else 0.0
        )


def evaluate(
    *,
    scorers: dict[str, TextScorer],
    sets: Sequence[EvalSet],
    out_dir: Path,
    threshold: float,
    progress: Callable[[str], None],
) -> list[Evaluation]:
    """Score every set with every scorer, write both plots to `out_dir`, return the rows."""
    rows: list[Evaluation] = []
    for labelled in sets:
        for name, scorer in scorers.items():
            progress(f"evaluate: {name} on {labelled.name} ({len(labelled.data)} texts)")
            scores = scorer.score_texts(labelled.data.texts)
            predicted = np.array([_INDEX[s.sentiment] for s in scores])
            flagged = np.array([s.is_negative for s in scores])
            rows.append(
                Evaluation(
                    dataset=labelled.name,
                    scorer=name,
                    metrics=split_metrics(
                        labels=labelled.data.labels,
                        predicted=predicted,
                        flagged=flagged,
                        seen_in=labelled.seen_in,
                    ),
                    negativity=np.array([s.negativity for s in scores]),
                    labels=labelled.data.labels,
                    flagged=flagged,
                )
            )
    out_dir.mkdir(parents=True, exist_ok=True)
    _plot_pr(rows, threshold=threshold, path=out_dir / PR_CURVE)
    _plot_calibration(rows, path=out_dir / CALIBRATION)
    progress(f"evaluate: wrote {out_dir / PR_CURVE} and {out_dir / CALIBRATION}")
    return rows


def format_table(rows: Sequence[Evaluation]) -> str:
    """A Markdown table, one line per (set, scorer)."""
    lines = [
        "| data | seen by | scorer | rows | P(neg) | R(neg) | F1(neg) | macro-F1 | macro-R |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        m = row.metrics
        lines.append(
            f"| {row.dataset} | {m.seen_in} | {row.scorer} | {m.rows} | "
            f"{m.negative_precision:.3f} | {m.negative_recall:.3f} | {m.negative_f1:.3f} | "
            f"{m.macro_f1:.3f} | {m.macro_recall:.3f} |"
        )
    return "\n".join(lines)


def _pyplot() -> ModuleType:
    """matplotlib's pyplot on the file-only Agg backend (no display here or in CI)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _plot_pr(rows: Sequence[Evaluation], *, threshold: float, path: Path) -> None:
    from sklearn.metrics import precision_recall_curve

    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(7, 5.5))
    for row, colour, first in _styles(rows):
        precision, recall, cuts = precision_recall_curve(row.labels == 0, row.negativity)
        label = f"{row.dataset}: {row.scorer}"
        axes.plot(recall, precision, "-" if first else "--", color=colour, label=label)
        if first and len(cuts):  # the model's own operating point
            at = min(int(np.searchsorted(cuts, threshold)), len(cuts) - 1)
            axes.plot(recall[at], precision[at], "o", color=colour)
    axes.set(xlabel="recall (negative)", ylabel="precision (negative)", xlim=(0, 1), ylim=(0, 1))
    axes.set_title(f"Negative class: precision vs recall (dot = threshold {threshold:.2f})")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="lower left")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _plot_calibration(rows: Sequence[Evaluation], *, path: Path) -> None:
    from sklearn.calibration import calibration_curve

    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(6, 6))
    axes.plot([0, 1], [0, 1], ":", color="grey", label="perfectly calibrated")
    for row, colour, first in _styles(rows):
        observed, predicted = calibration_curve(
            row.labels == 0, row.negativity, n_bins=10, strategy="quantile"
        )
        label = f"{row.dataset}: {row.scorer}"
        axes.plot(predicted, observed, "o-" if first else "s--", color=colour, label=label)
    axes.set(xlabel="predicted P(negative)", ylabel="observed share negative")
    axes.set(xlim=(0, 1), ylim=(0, 1))
    axes.set_title("Calibration of negativity (10 quantile bins)")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _styles(rows: Sequence[Evaluation]) -> list[tuple[Evaluation, str, bool]]:
    """Per row: one colour per data set, and whether it is the first scorer's (solid) line."""
    sets = list(dict.fromkeys(row.dataset for row in rows))
    first = rows[0].scorer if rows else ""
    return [(row, f"C{sets.index(row.dataset)}", row.scorer == first) for row in rows]
