"""The hand-written brand-directed check set, and the shipped model's quality on it.

The set is never used to train or tune the shipped model. The floors below are the
measured values (docs/model.md, "Brand-directed check set") minus a margin, so a worse model
fails here.
"""

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from smileback.scorer.factory import shipped_scorer
from smileback.training.commands import default_brand_set
from smileback.training.data import load_labelled
from smileback.training.metrics import split_metrics

BRAND_SET = Path(__file__).resolve().parents[1] / "data" / "brand_mentions.jsonl"
INDEX = {"negative": 0, "neutral": 1, "positive": 2}


def test_the_set_is_where_the_evaluate_command_looks():
    assert default_brand_set() == BRAND_SET


def test_the_set_is_a_few_hundred_varied_labelled_mentions():
    rows = [json.loads(line) for line in BRAND_SET.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 300
    assert len({r["text"] for r in rows}) == len(rows)
    assert len({r["id"] for r in rows}) == len(rows)
    labels = Counter(r["label"] for r in rows)
    assert set(labels) == set(INDEX)
    assert min(labels.values()) >= 80
    kinds = Counter(r["kind"] for r in rows)
    assert {"complaint", "sarcasm", "question", "praise", "hello", "news", "mixed"} <= set(kinds)
    assert all(r["text"].strip() for r in rows)


@pytest.fixture(scope="module")
def measured():
    data = load_labelled(BRAND_SET)
    scores = shipped_scorer().score_texts(data.texts)
    predicted = np.array([INDEX[s.sentiment.value] for s in scores])
    flagged = np.array([s.is_negative for s in scores])
    return split_metrics(labels=data.labels, predicted=predicted, flagged=flagged, seen_in="none")


def test_negative_class_quality_on_the_brand_set(measured):
    # Measured 0.903 F1 (precision 0.947, recall 0.863).
    assert measured.negative_f1 >= 0.85
    assert measured.negative_precision >= 0.90


def test_three_class_quality_on_the_brand_set(measured):
    # Measured macro-F1 0.908, macro recall 0.905.
    assert measured.macro_f1 >= 0.85
    assert measured.macro_recall >= 0.85
