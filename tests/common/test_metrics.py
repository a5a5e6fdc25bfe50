"""A timed batch counts its records, its time, and when its stage last finished one."""

from __future__ import annotations

import time

import pytest
from prometheus_client import REGISTRY

from smileback.common.metrics import timed_batch


def _sample(name: str, stage: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, {"stage": stage, **labels}) or 0.0


def test_a_batch_observes_its_size_and_time_and_moves_the_last_batch_time() -> None:
    before = time.time()
    with timed_batch("test-batch-ok", size=37):
        pass
    assert _sample("smileback_batch_records_count", "test-batch-ok") == 1
    assert _sample("smileback_batch_records_sum", "test-batch-ok") == 37
    assert _sample("smileback_batch_records_bucket", "test-batch-ok", le="20.0") == 0
    assert _sample("smileback_batch_records_bucket", "test-batch-ok", le="50.0") == 1
    assert _sample("smileback_stage_batch_seconds_count", "test-batch-ok") == 1
    assert _sample("smileback_last_batch_timestamp_seconds", "test-batch-ok") >= before


def test_a_batch_that_fails_is_timed_but_does_not_count_as_finished() -> None:
    with pytest.raises(RuntimeError), timed_batch("test-batch-failed", size=3):
        raise RuntimeError("the database went away")
    assert _sample("smileback_stage_batch_seconds_count", "test-batch-failed") == 1
    assert _sample("smileback_last_batch_timestamp_seconds", "test-batch-failed") == 0
