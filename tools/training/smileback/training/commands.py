"""What `smileback train` and `smileback evaluate` do, behind the CLI's thin wrappers."""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path
from typing import TextIO

from smileback.common.mention_labels import MentionLabel
from smileback.scorer.model.artifact import load_model, shipped_dir
from smileback.scorer.model.scorer import ModelScorer
from smileback.training.data import (
    corpus_dir,
    default_tweeteval_dir,
    load_corpus,
    load_labelled,
    load_tweeteval,
    split_half,
)
from smileback.training.evaluation import EvalSet, Evaluation, evaluate, format_table
from smileback.training.responder_labels import (
    CLASS_OF,
    LABELS_SET,
    latest_labels,
    load_label_records,
    responder_labels,
)
from smileback.training.training import ExtraUse, TrainOptions, TrainResult, train
from smileback.training.vader import InterimLexiconScorer

__all__ = ["default_brand_set", "labels_summary", "run_evaluate", "run_train"]


def default_brand_set() -> Path:
    """The brand-directed check set kept with the repository's tests."""
    return Path(__file__).resolve().parents[4] / "tests" / "data" / "brand_mentions.jsonl"


def run_train(
    *,
    data: Path | None,
    out: Path | None,
    extra: Path | None,
    extra_use: ExtraUse,
    seed: int,
    limit: int | None,
    labels: Path | None = None,
    err: TextIO = sys.stderr,
) -> TrainResult:
    """Train and write artifact + card (default: over the shipped ones), progress on `err`."""
    started = time.monotonic()

    def progress(message: str) -> None:
        err.write(f"[{time.monotonic() - started:6.1f}s] {message}\n")
        err.flush()

    return train(
        tweeteval=data or default_tweeteval_dir(),
        out_dir=out or shipped_dir(),
        progress=progress,
        options=TrainOptions(seed=seed),
        corpus=load_corpus(corpus_dir()),
        extra=load_labelled(extra) if extra is not None else None,
        extra_use=extra_use,
        labels=responder_labels(labels) if labels is not None else None,
        limit=limit,
    )


def run_evaluate(
    *,
    model_dir: Path | None,
    data: Path | None,
    brand: Path | None,
    out: Path,
    labels: Path | None = None,
    err: TextIO = sys.stderr,
) -> str:
    """Evaluate the model (default: shipped) and VADER; write plots to `out`; return the table
    (and, with `labels`, a line on how often each scorer got the responders' labels right)."""

    def progress(message: str) -> None:
        err.write(message + "\n")
        err.flush()

    checked = responder_labels(labels) if labels is not None else None  # a bad line fails first
    loaded = load_model(model_dir)
    val = load_tweeteval(directory=data or default_tweeteval_dir(), split="val")
    tune, test = split_half(val.labels, seed=loaded.card.seed)
    sets = [
        EvalSet("TweetEval val, held-out half", val.subset(test), "none"),
        EvalSet("TweetEval val, tuning half", val.subset(tune), "threshold"),
        EvalSet("TweetEval val (all)", val, "threshold (half)"),
    ]
    brand_path = brand or default_brand_set()
    if brand_path.is_file():
        sets.append(EvalSet("brand-directed set", load_labelled(brand_path), "none"))
    else:
        progress(f"evaluate: no brand-directed set at {brand_path}; skipped")
    if checked is not None:
        # Labels the model was trained on say how well it learnt them, not how it generalises.
        seen = set(checked.sources.values()) & set(loaded.card.training_data.values())
        sets.append(EvalSet(LABELS_SET, checked, "training" if seen else "none"))
    rows = evaluate(
        scorers={"model": ModelScorer(loaded), "VADER (interim)": InterimLexiconScorer()},
        sets=sets,
        out_dir=out,
        threshold=loaded.card.threshold,
        progress=progress,
    )
    table = format_table(rows)
    if labels is None:
        return table
    return f"{table}\n\n{labels_summary(labels, rows)}"


def labels_summary(path: Path, rows: list[Evaluation]) -> str:
    """One line on the responders' labels: what they hold, and each scorer's share of
    complaint calls (is_negative) that agree with them."""
    latest = latest_labels(load_label_records(path))
    counts = Counter(record.label for record in latest)
    right = ", ".join(
        f"{row.scorer} {row.negative_accuracy:.0%}" for row in rows if row.dataset == LABELS_SET
    )
    left_out = sum(n for label, n in counts.items() if label not in CLASS_OF)
    missed = _counted(
        counts[MentionLabel.MISSED_COMPLAINT], "missed complaint", "missed complaints"
    )
    fine = _counted(counts[MentionLabel.NOT_A_COMPLAINT], "not a complaint", "not complaints")
    return (
        f"{LABELS_SET}: {_counted(len(latest), 'mention', 'mentions')} ({missed}, {fine}, "
        f"{left_out} not for us, left out); complaint calls that agree: {right}"
    )


def _counted(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"
