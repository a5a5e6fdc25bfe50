"""What a retrain on another machine must reproduce, and what it may not get wrong."""

import pytest

from smileback.scorer.model.artifact import load_model
from smileback.training.reproducibility import (
    METRIC_TOLERANCE,
    THRESHOLD_TOLERANCE,
    retrain_differences,
)

SHIPPED = load_model().card


def _retrained(**shifts: float):
    """The shipped card as another machine might retrain it: new hash and environment,
    every set's named scores shifted by the given amounts."""
    metrics = {
        name: split.model_copy(
            update={score: getattr(split, score) + by for score, by in shifts.items()}
        )
        for name, split in SHIPPED.metrics.items()
    }
    return SHIPPED.model_copy(
        update={
            "artifact_sha256": "0" * 64,
            "artifact_bytes": SHIPPED.artifact_bytes + 7,
            "environment": {"blas": "openblas 0.3.31 Haswell", "numpy_simd": "X86_V3"},
            "metrics": metrics,
        }
    )


def test_hash_size_and_environment_may_differ():
    assert retrain_differences(shipped=SHIPPED, retrained=SHIPPED) == []
    assert retrain_differences(shipped=SHIPPED, retrained=_retrained()) == []


def test_last_digit_drift_within_the_tolerances_passes():
    near = _retrained(negative_f1=0.9 * METRIC_TOLERANCE, macro_recall=-0.9 * METRIC_TOLERANCE)
    near = near.model_copy(update={"threshold": SHIPPED.threshold + 0.9 * THRESHOLD_TOLERANCE})
    assert retrain_differences(shipped=SHIPPED, retrained=near) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"threshold": SHIPPED.threshold + 2 * THRESHOLD_TOLERANCE}, "threshold: shipped"),
        ({"seed": 14}, "seed: shipped 13, retrained 14"),
        ({"training_data": {"tweeteval/train_text.txt": "ab" * 32}}, "training_data:"),
        ({"scikit_learn": "0.1"}, "scikit_learn:"),
        ({"class_prior": (0.2, 0.4, 0.4)}, "class_prior:"),
    ],
)
def test_a_different_threshold_data_or_library_fails(change, expected):
    changed = _retrained().model_copy(update=change)
    problems = retrain_differences(shipped=SHIPPED, retrained=changed)
    assert len(problems) == 1
    assert problems[0].startswith(expected)


def test_a_metric_moved_beyond_the_tolerance_fails_on_every_set():
    moved = _retrained(negative_recall=-2 * METRIC_TOLERANCE)
    problems = retrain_differences(shipped=SHIPPED, retrained=moved)
    assert len(problems) == len(SHIPPED.metrics)
    assert all(".negative_recall: shipped" in problem for problem in problems)


def test_a_missing_set_fails():
    fewer = dict(SHIPPED.metrics)
    del fewer["brand_corpus_tune"]
    problems = retrain_differences(
        shipped=SHIPPED, retrained=_retrained().model_copy(update={"metrics": fewer})
    )
    assert problems == [
        f"metrics: shipped sets {sorted(SHIPPED.metrics)}, retrained sets {sorted(fewer)}"
    ]
