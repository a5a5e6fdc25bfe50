"""`smileback train` and `smileback evaluate` as a user runs them."""

import json
import os
import subprocess

import pytest

from smileback.scorer.model.artifact import load_model, shipped_dir
from smileback.scorer.model.card import ARTIFACT_NAME, CARD_NAME
from smileback.scorer.model.data import default_tweeteval_dir, sha256_file
from tests.support.processes import SMILEBACK

PNG = b"\x89PNG\r\n\x1a\n"


def _smileback(*args, hash_seed="0", timeout=300):
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    return subprocess.run(
        [str(SMILEBACK), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )


def test_train_writes_a_verifiable_artifact_and_is_reproducible_across_processes(
    small_data, tmp_path
):
    runs = []
    for name, hash_seed in (("one", "1"), ("two", "2")):  # different str hashing per process
        done = _smileback(
            "train", "--data", small_data, "--out", tmp_path / name, hash_seed=hash_seed
        )
        assert done.returncode == 0, done.stderr
        assert "features:" in done.stderr
        assert "wrote" in done.stderr
        runs.append(json.loads(done.stdout))
    first, second = runs
    assert first == second
    assert first["artifact_sha256"] == sha256_file(tmp_path / "one" / ARTIFACT_NAME)
    loaded = load_model(tmp_path / "one")
    assert loaded.card.threshold == first["threshold"]


def test_train_reports_bad_options_and_missing_data(tmp_path):
    done = _smileback("train", "--extra-use", "sometimes", "--out", tmp_path)
    assert done.returncode == 2
    assert "--extra-use must be train or tune" in done.stderr
    done = _smileback("train", "--data", tmp_path / "nowhere", "--out", tmp_path)
    assert done.returncode == 2
    assert "TweetEval file not found" in done.stderr
    assert not (tmp_path / ARTIFACT_NAME).exists()


def test_evaluate_prints_the_table_and_writes_both_plots(small_model, small_data, tmp_path):
    brand = tmp_path / "brand.jsonl"
    brand.write_text(
        '{"text": "the app is awful and I hate it", "label": "negative"}\n'
        '{"text": "the shop opens at nine", "label": "neutral"}\n'
        '{"text": "lovely staff, thank you", "label": "positive"}\n'
    )
    out = tmp_path / "eval"
    done = _smileback(
        "evaluate", "--model", small_model[0], "--data", small_data, "--brand", brand, "--out", out
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("| data | seen by | scorer |")
    assert "F1(neg)" in lines[0]
    assert "macro-R" in lines[0]
    assert sum("| model |" in line for line in lines) == 4  # held-out, tuning, all, brand
    assert sum("| VADER (interim) |" in line for line in lines) == 4
    assert any(line.startswith("| brand-directed set | none | model | 3 |") for line in lines)
    for name in ("pr_curve.png", "calibration.png"):
        assert (out / name).read_bytes().startswith(PNG)
        assert (out / name).stat().st_size > 10_000


def test_evaluate_refuses_a_tampered_model(small_model, tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / CARD_NAME).write_bytes((small_model[0] / CARD_NAME).read_bytes())
    (folder / ARTIFACT_NAME).write_bytes((small_model[0] / ARTIFACT_NAME).read_bytes() + b"x")
    done = _smileback("evaluate", "--model", folder, "--out", tmp_path / "eval")
    assert done.returncode == 2
    assert "refusing to load" in done.stderr


@pytest.mark.skipif(
    not (default_tweeteval_dir() / "train_text.txt").is_file(), reason="TweetEval not beside repo"
)
def test_train_on_tweeteval_reproduces_the_shipped_artifact(tmp_path):
    """About 1.5 minutes on 2 cores: the full training run, compared byte for byte."""
    done = _smileback("train", "--out", tmp_path, timeout=900)
    assert done.returncode == 0, done.stderr
    shipped = json.loads((shipped_dir() / CARD_NAME).read_text())
    card = json.loads(done.stdout)
    assert card["threshold"] == shipped["threshold"]
    assert card["metrics"] == shipped["metrics"]
    assert card == shipped  # the same bytes: hash and size too
    assert sha256_file(tmp_path / ARTIFACT_NAME) == shipped["artifact_sha256"]
