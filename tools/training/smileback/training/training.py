"""`smileback train`: fit, calibrate, pick the threshold, write the artifact and its card.

Data use, so that one set stays unseen by every step:

- TweetEval train, plus the fit share of the brand corpus (and a user's labelled
  mentions with `extra_use="train"`, and the responders' labels of real traffic,
  `responder_labels`), fits the vocabularies, the linear SVM and, by 5-fold
  cross-validation on it, the sigmoid calibrators. Brand-directed rows, the responders'
  labels among them, weigh `brand_weight` times a tweet: they are few, and they are the
  text the scorer meets.
- TweetEval val is split in two halves, stratified, fixed by the seed. The "tune"
  half, with the rest of the brand corpus (and a user's mentions with
  `extra_use="tune"`), picks the threshold: the middle of the best negative-class F1
  plateau (`metrics.best_threshold`). The "test" half is seen by no step; its numbers
  are the honest ones.

Reproducible: on one machine training is bit for bit deterministic (seeded, and BLAS and
OpenMP held to one thread so no sum depends on how work was split). Across machines
numpy's and OpenBLAS's CPU-specific kernels can change last digits; the card records
them (`environment`), and `reproducibility` says how close a retrain must come.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from smileback.scorer.model.artifact import dump_model
from smileback.scorer.model.card import ARTIFACT_NAME, CARD_NAME, ModelCard, SplitMetrics
from smileback.scorer.model.features import SocialFeatures
from smileback.scorer.model.negativity import Decision, NegativityModel, explainable_columns
from smileback.training.data import Labelled, load_tweeteval, split_half
from smileback.training.lexicon import vader_lexicon
from smileback.training.metrics import (
    THRESHOLD_STEP,
    THRESHOLD_WINDOW,
    best_threshold,
    split_metrics,
)
from smileback.training.numerics import build_environment, single_threaded

__all__ = [
    "CARD_VERSION",
    "ExtraUse",
    "Progress",
    "TrainOptions",
    "TrainResult",
    "class_prior",
    "fit_model",
    "train",
]

CARD_VERSION = "3"
ExtraUse = Literal["train", "tune"]
Progress = Callable[[str], None]


@dataclass(frozen=True)
class TrainOptions:
    """Every choice that shapes the model; all of it goes into the card."""

    seed: int = 13
    word_n: int = 2
    word_max: int = 100_000
    char_low: int = 2
    char_high: int = 5
    char_max: int = 100_000
    min_df: int = 2
    svm_c: float = 0.1
    folds: int = 5
    brand_weight: float = 3.0
    brand_fit_share: float = 0.75


@dataclass(frozen=True)
class TrainResult:
    """What `train` wrote."""

    artifact: Path
    card: ModelCard


def fit_model(
    *,
    data: Labelled,
    options: TrainOptions,
    progress: Progress,
    weights: np.ndarray[Any, Any] | None = None,
) -> NegativityModel:
    """Features, a class-weighted linear SVM and sigmoid calibrators fitted on `data`."""
    features = SocialFeatures(
        lexicon=vader_lexicon(),
        word_n=options.word_n,
        word_max=options.word_max,
        char_range=(options.char_low, options.char_high),
        char_max=options.char_max,
        min_df=options.min_df,
    )
    progress(f"features: normalising and counting {len(data)} texts")
    rows = features.fit_transform(data.texts)
    progress(f"features: {rows.shape[1]} columns ({features.n_word} word n-grams)")
    progress(f"fitting: linear SVM + sigmoid calibration, {options.folds}-fold")
    calibrated = CalibratedClassifierCV(
        LinearSVC(C=options.svm_c, class_weight="balanced", random_state=options.seed),
        method="sigmoid",
        cv=StratifiedKFold(n_splits=options.folds),
        ensemble=False,
    ).fit(rows, data.labels, sample_weight=weights)
    (fitted,) = calibrated.calibrated_classifiers_
    if list(fitted.estimator.classes_) != [0, 1, 2]:
        raise ValueError("training data must hold negative, neutral and positive examples")
    model = NegativityModel(
        features=features,
        coef=fitted.estimator.coef_.astype(np.float32),
        intercept=fitted.estimator.intercept_.astype(np.float32),
        calibration_a=np.array([c.a_ for c in fitted.calibrators], dtype=np.float32),
        calibration_b=np.array([c.b_ for c in fitted.calibrators], dtype=np.float32),
        explainable=explainable_columns(features=features, stop_words=ENGLISH_STOP_WORDS),
    )
    sample = rows[: min(rows.shape[0], 500)]
    if not np.allclose(model.probabilities(sample), calibrated.predict_proba(sample), atol=1e-3):
        raise RuntimeError("extracted model disagrees with scikit-learn's probabilities")
    return model


def train(
    *,
    tweeteval: Path,
    out_dir: Path,
    progress: Progress,
    options: TrainOptions | None = None,
    corpus: Labelled | None = None,
    extra: Labelled | None = None,
    extra_use: ExtraUse = "train",
    labels: Labelled | None = None,
    limit: int | None = None,
) -> TrainResult:
    """Train on TweetEval (+ brand corpus, user mentions, responders' labels) and write
    artifact and card."""
    with single_threaded():  # the BLAS work here is tiny; one thread costs nothing
        return _train(
            tweeteval=tweeteval,
            out_dir=out_dir,
            progress=progress,
            options=options or TrainOptions(),
            corpus=corpus,
            extra=extra,
            extra_use=extra_use,
            labels=labels,
            limit=limit,
        )


def _train(
    *,
    tweeteval: Path,
    out_dir: Path,
    progress: Progress,
    options: TrainOptions,
    corpus: Labelled | None,
    extra: Labelled | None,
    extra_use: ExtraUse,
    labels: Labelled | None,
    limit: int | None,
) -> TrainResult:
    progress(f"data: reading TweetEval from {tweeteval}")
    fit_data = load_tweeteval(directory=tweeteval, split="train")
    if limit is not None:
        fit_data = fit_data.subset(np.arange(min(limit, len(fit_data))))
    val = load_tweeteval(directory=tweeteval, split="val")
    tune_rows, test_rows = split_half(val.labels, seed=options.seed)
    val_tune, test = val.subset(tune_rows), val.subset(test_rows)
    tune, tweets = val_tune, len(fit_data)
    if corpus is not None:
        fit_rows, tune_brand_rows = split_half(
            corpus.labels, seed=options.seed, share=options.brand_fit_share
        )
        progress(
            f"data: brand corpus {len(corpus)}: {len(fit_rows)} to fit, "
            f"{len(tune_brand_rows)} to the threshold"
        )
        brand_tune = corpus.subset(tune_brand_rows)
        fit_data, tune = fit_data.plus(corpus.subset(fit_rows)), tune.plus(brand_tune)
    if extra is not None:
        progress(f"data: {len(extra)} labelled mentions of your own, used to {extra_use}")
        if extra_use == "train":
            fit_data = fit_data.plus(extra)
        else:
            tune = tune.plus(extra)
    if labels is not None:
        progress(f"data: {len(labels)} mentions labelled by responders, used to train")
        fit_data = fit_data.plus(labels)
    weights = None
    if len(fit_data) > tweets:
        weights = np.ones(len(fit_data))
        weights[tweets:] = options.brand_weight
    progress(f"data: fit {len(fit_data)}, threshold {len(tune)}, held out {len(test)}")
    model = fit_model(data=fit_data, options=options, progress=progress, weights=weights)

    progress("threshold: middle of the best negative-class F1 plateau")
    tune_proba = model.probabilities(model.features.transform(tune.texts))
    threshold = best_threshold(labels=tune.labels, negativity=tune_proba[:, 0])
    prior = class_prior(labels=fit_data.labels, weights=weights)
    rule = Decision(threshold=threshold, prior=prior)
    metrics = {
        "tweeteval_val_tune": _measure(model, val_tune, rule, seen_in="threshold"),
        "tweeteval_val_test": _measure(model, test, rule, seen_in="none"),
        "tweeteval_val": _measure(model, val, rule, seen_in="threshold (half of it)"),
    }
    if corpus is not None:
        metrics["brand_corpus_tune"] = _measure(model, brand_tune, rule, seen_in="threshold")
    progress(
        f"threshold: {threshold:.4f}; held-out F1(negative) "
        f"{metrics['tweeteval_val_test'].negative_f1:.3f}"
    )

    artifact = out_dir / ARTIFACT_NAME
    digest, size = dump_model(model=model, path=artifact)
    card = ModelCard(
        version=CARD_VERSION,
        artifact_sha256=digest,
        artifact_bytes=size,
        threshold=threshold,
        class_prior=prior,
        seed=options.seed,
        scikit_learn=sklearn.__version__,
        numpy=np.__version__,
        environment=build_environment(),
        training_data=dict(fit_data.sources),
        threshold_data=dict(tune.sources),
        parameters={
            **asdict(options),
            "limit": limit,
            "estimator": "LinearSVC(class_weight=balanced)",
            "calibration": "CalibratedClassifierCV(sigmoid, ensemble=False)",
            "threshold_split": "TweetEval val, stratified half by seed, + brand corpus rest",
            "threshold_rule": f"F1(negative) mean over +-{THRESHOLD_WINDOW} on a "
            f"{THRESHOLD_STEP} grid, middle of the best run",
        },
        metrics=metrics,
        notes=[
            "tweeteval_val_test is seen by no training or tuning step",
            "is_negative: P(negative) >= threshold; sentiment: the label with the highest "
            "P(label) / class_prior, negative whenever is_negative",
        ],
    )
    (out_dir / CARD_NAME).write_text(card.to_json(), encoding="utf-8")
    progress(f"wrote {artifact} ({size / 1e6:.1f} MB, sha256 {digest[:12]}…) and {CARD_NAME}")
    return TrainResult(artifact=artifact, card=card)


def class_prior(
    *, labels: np.ndarray[Any, Any], weights: np.ndarray[Any, Any] | None
) -> tuple[float, float, float]:
    """Each label's share of the training rows, counted by their weights."""
    counts = np.bincount(labels, weights=weights, minlength=3)
    neg, neu, pos = (round(float(c), 6) for c in counts / counts.sum())
    return neg, neu, pos


def _measure(
    model: NegativityModel, data: Labelled, rule: Decision, *, seen_in: str
) -> SplitMetrics:
    proba = model.probabilities(model.features.transform(data.texts))
    return split_metrics(
        labels=data.labels,
        predicted=rule.sentiment(proba),
        flagged=rule.is_negative(proba),
        seen_in=seen_in,
    )
