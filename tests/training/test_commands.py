"""`smileback train` and `smileback evaluate` as a user runs them."""

import json
import os
import pickle
import subprocess
from datetime import UTC, datetime

import pytest

from smileback.common.mention_labels import LabelRecord, MentionLabel
from smileback.scorer.model.artifact import load_model, shipped_dir
from smileback.scorer.model.card import ARTIFACT_NAME, CARD_NAME, ModelCard
from smileback.training.data import default_tweeteval_dir, sha256_file
from smileback.training.reproducibility import retrain_differences
from tests.support.model_files import live_payload, vouch_for
from tests.support.processes import SMILEBACK

PNG = b"\x89PNG\r\n\x1a\n"


def _smileback(*args, hash_seed="0", timeout=300, env=None):
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, **(env or {})}
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


def test_evaluate_refuses_a_hostile_pickle_even_when_its_card_vouches_for_it(small_model, tmp_path):
    boom = live_payload(tmp_path)
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / CARD_NAME).write_bytes((small_model[0] / CARD_NAME).read_bytes())
    vouch_for(folder, pickle.dumps(boom))
    done = _smileback("evaluate", "--model", folder, "--out", tmp_path / "eval")
    assert done.returncode == 2
    assert "not a model archive" in done.stderr
    assert not boom.marker.exists()


NO_TWEETEVAL = pytest.mark.skipif(
    not (default_tweeteval_dir() / "train_text.txt").is_file(), reason="TweetEval not beside repo"
)


@NO_TWEETEVAL
def test_training_on_a_slice_of_tweeteval_is_bit_identical_whatever_the_thread_count(tmp_path):
    """On one machine training is deterministic: the same bytes with 1 or 2 BLAS/OpenMP
    threads and a different str hashing (training holds the pools to one thread)."""
    cards, artifacts = [], []
    for name, threads, hash_seed in (("one", "1", "1"), ("two", "2", "2")):
        pools = {"OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads}
        done = _smileback(
            "train", "--limit", 1500, "--out", tmp_path / name, hash_seed=hash_seed, env=pools
        )
        assert done.returncode == 0, done.stderr
        cards.append(done.stdout)
        artifacts.append((tmp_path / name / ARTIFACT_NAME).read_bytes())
    assert cards[0] == cards[1]
    assert artifacts[0] == artifacts[1]
    assert json.loads(cards[0])["parameters"]["limit"] == 1500


@NO_TWEETEVAL
def test_train_on_tweeteval_reproduces_the_shipped_model(tmp_path):
    """About 1.5 minutes on 2 cores: the full training run against the shipped card.

    Data, parameters and library versions must match exactly; threshold and metrics within
    the tolerances of `reproducibility` (last digits move with the CPU's numpy and BLAS
    kernels). Byte identity within one machine is the slice test's job.
    """
    done = _smileback("train", "--out", tmp_path, timeout=900)
    assert done.returncode == 0, done.stderr
    shipped = ModelCard.model_validate_json((shipped_dir() / CARD_NAME).read_bytes())
    retrained = ModelCard.model_validate_json(done.stdout)
    assert retrain_differences(shipped=shipped, retrained=retrained) == []
    assert sha256_file(tmp_path / ARTIFACT_NAME) == retrained.artifact_sha256


def _label_export(path, rows):
    at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    records = [
        LabelRecord(
            mention_id=f"m{i}", brand="acme", text=text, label=label, responder="sam", at=at
        )
        for i, (text, label) in enumerate(rows)
    ]
    path.write_text("".join(r.model_dump_json() + "\n" for r in records))
    return path


def test_evaluate_reports_the_responders_labels_as_a_check_set(small_model, small_data, tmp_path):
    labels = _label_export(
        tmp_path / "labels.jsonl",
        [
            ("the app is awful and I hate it", MentionLabel.MISSED_COMPLAINT),
            ("the staff was terrible again :(", MentionLabel.MISSED_COMPLAINT),
            ("the shop opens at nine", MentionLabel.NOT_A_COMPLAINT),
            ("see you at the coffee place", MentionLabel.NOT_FOR_US),
        ],
    )
    out = tmp_path / "eval"
    done = _smileback(
        "evaluate", "--model", small_model[0], "--data", small_data, "--labels", labels,
        "--out", out,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    checked = [line for line in lines if line.startswith("| responders' labels (real traffic) |")]
    assert [line.split(" | ")[1:4] for line in checked] == [
        ["none", "model", "3"],
        ["none", "VADER (interim)", "3"],
    ]
    assert lines[-1].startswith(
        "responders' labels (real traffic): 4 mentions (2 missed complaints, 1 not a complaint, "
        "1 not for us, left out); complaint calls that agree: model "
    )
    assert "VADER (interim) " in lines[-1]
    for name in ("pr_curve.png", "calibration.png"):
        assert (out / name).read_bytes().startswith(PNG)


def test_train_and_evaluate_name_a_bad_line_of_the_labels(small_model, tmp_path):
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"mention_id": "m1"}\n')
    for command in ("train", "evaluate"):
        done = _smileback(command, "--labels", labels, "--out", tmp_path / command)
        assert done.returncode == 2, done.stderr
        assert f"{labels}:1: not a label record" in done.stderr
        assert "Traceback" not in done.stderr
