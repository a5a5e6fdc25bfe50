import io
import json
import pickle
import shutil
import zipfile

import numpy as np
import pytest

from smileback.common.errors import ConfigError, SmilebackError
from smileback.scorer.model.archive import decode_model, encode_model
from smileback.scorer.model.artifact import SHIPPED_SHA256, load_model, shipped_dir
from smileback.scorer.model.card import ARTIFACT_NAME, CARD_NAME
from smileback.scorer.model.errors import ModelError
from smileback.scorer.model.scorer import ModelScorer
from smileback.training.data import sha256_file
from tests.support.model_files import live_payload, vouch_for

TEXTS = ["the app is awful", "lovely staff, thank you", "not happy :(", "", "the shop opens"]


@pytest.fixture
def model_dir(tmp_path, small_model):
    folder = tmp_path / "model"
    shutil.copytree(small_model[0], folder)
    return folder


def _archive(members):
    """A zip of `members` (name -> bytes), as an .npz is."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _members(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _npy(array, *, allow_pickle=False):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def test_a_good_artifact_loads_and_matches_its_card(model_dir):
    loaded = load_model(model_dir)
    assert loaded.card.artifact_sha256 == sha256_file(model_dir / ARTIFACT_NAME)
    assert loaded.model.coef.shape[0] == 3


def test_the_error_sits_in_the_project_hierarchy():
    assert issubclass(ModelError, ConfigError)
    assert issubclass(ModelError, SmilebackError)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda data: data[:-1] + bytes([data[-1] ^ 0xFF]),  # one flipped byte
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: data + b"\x00",  # one byte appended
        lambda data: b"",  # emptied
    ],
    ids=["flipped", "truncated", "appended", "empty"],
)
def test_a_corrupted_artifact_is_refused(model_dir, tamper):
    path = model_dir / ARTIFACT_NAME
    path.write_bytes(tamper(path.read_bytes()))
    with pytest.raises(ModelError, match=r"refusing to load .*SHA-256"):
        load_model(model_dir)


def test_a_swapped_artifact_is_refused_before_it_is_read(model_dir, tmp_path):
    boom = live_payload(tmp_path)
    (model_dir / ARTIFACT_NAME).write_bytes(pickle.dumps(boom))
    with pytest.raises(ModelError, match="the file was changed or corrupted"):
        load_model(model_dir)
    assert not boom.marker.exists()


def test_a_hostile_pickle_with_a_matching_card_runs_nothing(model_dir, tmp_path):
    """Whoever supplies the folder can forge the card: the hash then matches, and still the
    pickle is never unpickled."""
    boom = live_payload(tmp_path)
    vouch_for(model_dir, pickle.dumps(boom))
    with pytest.raises(ModelError, match="not a model archive"):
        load_model(model_dir)
    assert not boom.marker.exists()


def test_an_archive_holding_a_pickled_object_array_runs_nothing(model_dir, tmp_path):
    boom = live_payload(tmp_path)
    members = _members((model_dir / ARTIFACT_NAME).read_bytes())
    members["coef.npy"] = _npy(np.array([boom], dtype=object), allow_pickle=True)
    vouch_for(model_dir, _archive(members))
    with pytest.raises(ModelError, match="unreadable model archive: Object arrays cannot be"):
        load_model(model_dir)
    assert not boom.marker.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.pop("idf.npy"), r"holds \[.*\], expected"),
        (lambda m: m.update({"extra.npy": _npy(np.zeros(1))}), r"holds \[.*'extra'.*\]"),
        (lambda m: m.update({"intercept.npy": _npy(np.zeros(3))}), "intercept must be float32"),
        (lambda m: m.update({"coef.npy": _npy(np.zeros((3, 2), np.float32))}), "coef must be"),
        (lambda m: m.update({"explainable.npy": b"plain bytes"}), "explainable must be bool"),
        (lambda m: m.update({"model.json": _npy(np.zeros(1))}), "model.json must be JSON"),
        (lambda m: m.update({"model.json": b'{"lexicon": []}'}), "lexicon: Input should be"),
    ],
    ids=["missing", "extra", "dtype", "shape", "not-an-array", "settings-array", "settings"],
)
def test_an_archive_of_the_wrong_shape_is_refused(model_dir, change, message):
    members = _members((model_dir / ARTIFACT_NAME).read_bytes())
    change(members)
    vouch_for(model_dir, _archive(members))
    with pytest.raises(ModelError, match=message):
        load_model(model_dir)


def test_an_archive_that_unpacks_too_large_is_refused_before_it_is_read(monkeypatch, small_model):
    data = (small_model[0] / ARTIFACT_NAME).read_bytes()
    unpacked = sum(len(member) for member in _members(data).values())
    monkeypatch.setattr("smileback.scorer.model.archive.MAX_UNPACKED_BYTES", unpacked - 1)
    with pytest.raises(ModelError, match=f"unpacks to {unpacked} bytes, more than"):
        decode_model(data)
    monkeypatch.setattr("smileback.scorer.model.archive.MAX_UNPACKED_BYTES", unpacked)
    assert decode_model(data).coef.shape[0] == 3


def test_a_vocabulary_listing_a_term_twice_is_refused(small_model):
    members = _members((small_model[0] / ARTIFACT_NAME).read_bytes())
    settings = json.loads(members["model.json"])
    settings["word_vocabulary"][1] = settings["word_vocabulary"][0]
    members["model.json"] = json.dumps(settings).encode()
    with pytest.raises(ModelError, match="word_vocabulary lists a term twice"):
        decode_model(_archive(members))


def test_the_archive_round_trips_a_trained_model(small_model):
    loaded = load_model(small_model[0])
    data = (small_model[0] / ARTIFACT_NAME).read_bytes()
    assert encode_model(loaded.model) == data  # the same model, the same bytes
    trained = small_model[1]
    assert trained.card == loaded.card
    again = decode_model(data)
    for name in ("coef", "intercept", "calibration_a", "calibration_b", "explainable"):
        assert getattr(again, name).tobytes() == getattr(loaded.model, name).tobytes()
    assert again.features.word_vocabulary == loaded.model.features.word_vocabulary
    assert again.features.char_vocabulary == loaded.model.features.char_vocabulary
    assert again.features.normaliser.lexicon == loaded.model.features.normaliser.lexicon
    first = ModelScorer(loaded).score_texts(TEXTS)
    assert ModelScorer(load_model(small_model[0])).score_texts(TEXTS) == first
    assert any(score.explanation for score in first)


def test_a_model_of_the_pickled_format_is_refused_with_a_hint_to_retrain(model_dir, tmp_path):
    """A format-1 folder (negativity.joblib and its card) is never unpickled, whatever it holds."""
    boom = live_payload(tmp_path)
    (model_dir / ARTIFACT_NAME).unlink()
    vouch_for(model_dir, pickle.dumps(boom), name="negativity.joblib", format=1)
    with pytest.raises(ModelError, match=r"has format 1, this code reads format 2 .*retrain"):
        load_model(model_dir)
    assert not boom.marker.exists()


def test_a_missing_card_is_refused(model_dir):
    (model_dir / CARD_NAME).unlink()
    with pytest.raises(ModelError, match="model card not readable"):
        load_model(model_dir)


def test_a_missing_artifact_is_refused(model_dir):
    (model_dir / ARTIFACT_NAME).unlink()
    with pytest.raises(ModelError, match="model artifact not readable"):
        load_model(model_dir)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.pop("artifact_sha256"), "artifact_sha256: Field required"),
        (lambda c: c.update(artifact_sha256="abc"), "artifact_sha256: String should match"),
        (lambda c: c.update(threshold=1.5), "threshold: Input should be less than or equal"),
        (lambda c: c.update(surprise=1), "surprise: Extra inputs are not permitted"),
    ],
)
def test_an_invalid_card_is_refused(model_dir, change, message):
    card = json.loads((model_dir / CARD_NAME).read_text())
    change(card)
    (model_dir / CARD_NAME).write_text(json.dumps(card))
    with pytest.raises(ModelError, match=message):
        load_model(model_dir)


def test_a_card_that_is_not_json_is_refused(model_dir):
    (model_dir / CARD_NAME).write_text("{not json")
    with pytest.raises(ModelError, match="invalid model card"):
        load_model(model_dir)


@pytest.mark.parametrize("name", ["../negativity.npz", "sub/negativity.npz", ".."])
def test_a_card_pointing_outside_its_folder_is_refused(model_dir, name):
    card = json.loads((model_dir / CARD_NAME).read_text())
    card["artifact"] = name
    (model_dir / CARD_NAME).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="outside"):
        load_model(model_dir)


def test_an_artifact_of_another_format_is_refused(model_dir):
    card = json.loads((model_dir / CARD_NAME).read_text())
    card["format"] = 99
    (model_dir / CARD_NAME).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="retrain"):
        load_model(model_dir)


def test_the_shipped_artifact_matches_the_hash_pinned_in_the_code_and_its_card():
    card = json.loads((shipped_dir() / CARD_NAME).read_text())
    path = shipped_dir() / ARTIFACT_NAME
    assert card["artifact"] == ARTIFACT_NAME
    assert sha256_file(path) == SHIPPED_SHA256 == card["artifact_sha256"]
    assert path.stat().st_size == card["artifact_bytes"] < 20_000_000
    assert load_model().card.artifact_sha256 == SHIPPED_SHA256


def test_the_shipped_folder_is_checked_against_the_pinned_hash_not_only_its_card(
    monkeypatch, model_dir
):
    """A shipped folder whose artifact and card were swapped together is still refused."""
    monkeypatch.setattr("smileback.scorer.model.artifact.shipped_dir", lambda: model_dir)
    with pytest.raises(ModelError, match="the code pins the shipped model"):
        load_model()
    with pytest.raises(ModelError, match="SHIPPED_SHA256"):
        load_model(model_dir)
