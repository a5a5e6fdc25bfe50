import io

import numpy as np
import pytest

from smileback.common.errors import ConfigError
from smileback.scorer.model.artifact import LoadedModel, load_model
from smileback.scorer.model.card import ARTIFACT_NAME
from smileback.scorer.model.scorer import ModelScorer
from smileback.training.data import load_labelled, sha256_file, split_half
from smileback.training.metrics import best_threshold
from smileback.training.training import train
from tests.support.small_model import SMALL


def test_training_writes_a_card_with_hashes_parameters_metrics_and_threshold(
    small_model, small_data
):
    out, result, log = small_model
    card = result.card
    assert card.training_data == {
        "tweeteval/train_text.txt": sha256_file(small_data / "train_text.txt"),
        "tweeteval/train_labels.txt": sha256_file(small_data / "train_labels.txt"),
    }
    assert set(card.threshold_data) == {"tweeteval/val_text.txt", "tweeteval/val_labels.txt"}
    assert card.parameters["word_max"] == 2_000
    assert card.parameters["seed"] == 13
    assert card.artifact_sha256 == sha256_file(out / ARTIFACT_NAME)
    assert 0.0 < card.threshold < 1.0
    assert card.metrics["tweeteval_val_test"].seen_in == "none"
    assert card.scikit_learn
    assert card.numpy
    assert "threshold:" in log
    assert "wrote" in log


def test_training_is_deterministic(small_model, small_data, tmp_path):
    _, first, _ = small_model
    again = train(tweeteval=small_data, out_dir=tmp_path, progress=lambda m: None, options=SMALL)
    assert again.card == first.card
    assert (tmp_path / ARTIFACT_NAME).read_bytes() == first.artifact.read_bytes()


def test_a_different_seed_gives_a_different_split_and_card(small_data, small_model, tmp_path):
    other = train(
        tweeteval=small_data,
        out_dir=tmp_path,
        progress=lambda m: None,
        options=SMALL.__class__(**{**SMALL.__dict__, "seed": 5}),
    )
    assert other.card.seed == 5
    assert other.card != small_model[1].card


def test_the_threshold_is_the_middle_of_the_best_f1_plateau():
    labels = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    negativity = np.array([0.9, 0.6, 0.3, 0.5, 0.2, 0.1, 0.35, 0.05])
    # Cuts in (0.5, 0.6] catch 2 of 3 negatives with no false alarm: F1 0.8, better than
    # 0.3 (3 of 3 with 2 false alarms: F1 0.75). Rated over +-0.02, the cuts 0.521-0.580
    # are all on the plateau; its middle is 0.55.
    assert best_threshold(labels=labels, negativity=negativity) == 0.55
    with pytest.raises(ValueError, match="both negative and other"):
        best_threshold(labels=np.array([1, 2]), negativity=np.array([0.1, 0.2]))


def test_the_threshold_prefers_a_broad_plateau_to_a_narrow_spike():
    # Six negatives at 0.5, two at 0.100 just above ten others at 0.099. Only a cut in
    # (0.099, 0.100] catches all eight with no false alarm (F1 1.0, for 0.001); every cut
    # in (0.1, 0.5] catches six (F1 0.857). The exact maximum would be the spike; the
    # mean over +-0.02 picks the plateau (at 0.12, whose window still holds the spike).
    negativity = np.array([0.5] * 6 + [0.1] * 2 + [0.099] * 10)
    labels = np.array([0] * 8 + [1] * 10)
    assert 0.1 < best_threshold(labels=labels, negativity=negativity) <= 0.5


def test_last_digit_noise_does_not_move_the_threshold():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 3, 2_000)
    negativity = np.clip(rng.normal(0.3, 0.15, 2_000) + 0.25 * (labels == 0), 0, 1)
    negativity = negativity.astype(np.float32)
    cut = best_threshold(labels=labels, negativity=negativity)
    for seed in range(5):
        noise = np.random.default_rng(seed).normal(0, 1e-6, 2_000).astype(np.float32)
        assert best_threshold(labels=labels, negativity=negativity + noise) == cut


def test_the_stored_threshold_is_the_one_scoring_uses(small_model):
    loaded = load_model(small_model[0])
    texts = ["the app is awful", "the app opens at nine", "not happy", "meh", "the train"]
    negativity = [s.negativity for s in ModelScorer(loaded).score_texts(texts)]
    for cut in sorted(negativity):
        moved = LoadedModel(
            model=loaded.model, card=loaded.card.model_copy(update={"threshold": cut})
        )
        scores = ModelScorer(moved).score_texts(texts)
        assert [s.is_negative for s in scores] == [n >= cut for n in negativity]


def test_user_mentions_can_train_or_tune(small_data, tmp_path):
    mine = tmp_path / "mine.csv"
    mine.write_text('text,label\n"the kiosk ate my card",negative\nlovely kiosk,positive\n')
    extra = load_labelled(mine)
    trained = train(
        tweeteval=small_data, out_dir=tmp_path / "a", progress=lambda m: None,
        options=SMALL, extra=extra, extra_use="train",
    )  # fmt: skip
    tuned = train(
        tweeteval=small_data, out_dir=tmp_path / "b", progress=lambda m: None,
        options=SMALL, extra=extra, extra_use="tune",
    )  # fmt: skip
    assert "mine.csv" in trained.card.training_data
    assert "mine.csv" in tuned.card.threshold_data
    assert "mine.csv" not in tuned.card.training_data


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.jsonl", '{"text": "x", "label": "angry"}\n', "unknown label 'angry'"),
        ("a.jsonl", '{"text": "x"', "a.jsonl:1: invalid JSON"),
        ("a.jsonl", '{"label": 0}\n', "row 1 needs a text field"),
        ("a.csv", "text,label\n", "no labelled rows"),
    ],
)
def test_bad_user_files_give_clear_errors(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_labelled(path)


def test_missing_tweeteval_files_give_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="TweetEval file not found"):
        train(tweeteval=tmp_path, out_dir=tmp_path, progress=io.StringIO().write)


def test_the_val_split_is_stratified_disjoint_and_fixed():
    labels = np.array([0] * 10 + [1] * 20 + [2] * 30)
    first, second = split_half(labels, seed=3)
    assert set(first).isdisjoint(second)
    assert len(first) + len(second) == 60
    assert np.bincount(labels[first]).tolist() == [5, 10, 15]
    assert np.array_equal(split_half(labels, seed=3)[0], first)
    assert not np.array_equal(split_half(labels, seed=4)[0], first)
