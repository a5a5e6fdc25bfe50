"""A tiny model trained once per test session on the synthetic corpus."""

import io

import pytest

from smileback.training.training import TrainOptions, train
from tests.support.synthetic_tweeteval import write_tweeteval

SMALL = TrainOptions(word_max=2_000, char_max=3_000, folds=3)


@pytest.fixture(scope="session")
def small_data(tmp_path_factory):
    return write_tweeteval(tmp_path_factory.mktemp("tweeteval"))


@pytest.fixture(scope="session")
def small_model(tmp_path_factory, small_data):
    """(model folder, TrainResult, progress text) of one training run."""
    out = tmp_path_factory.mktemp("model")
    log = io.StringIO()
    result = train(
        tweeteval=small_data, out_dir=out, progress=lambda m: log.write(m + "\n"), options=SMALL
    )
    return out, result, log.getvalue()
