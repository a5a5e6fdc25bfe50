"""What `smileback train` and `smileback evaluate` do, behind the CLI's thin wrappers."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

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
from smileback.training.evaluation import EvalSet, evaluate, format_table
from smileback.training.training import ExtraUse, TrainOptions, TrainResult, train
from smileback.training.vader import InterimLexiconScorer

__all__ = ["default_brand_set", "run_evaluate", "run_train"]


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
        limit=limit,
    )


def run_evaluate(
    *,
    model_dir: Path | None,
    data: Path | None,
    brand: Path | None,
    out: Path,
    err: TextIO = sys.stderr,
) -> str:
    """Evaluate the model (default: shipped) and VADER; write plots to `out`; return the table."""

    def progress(message: str) -> None:
        err.write(message + "\n")
        err.flush()

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
    rows = evaluate(
        scorers={"model": ModelScorer(loaded), "VADER (interim)": InterimLexiconScorer()},
        sets=sets,
        out_dir=out,
        threshold=loaded.card.threshold,
        progress=progress,
    )
    return format_table(rows)
