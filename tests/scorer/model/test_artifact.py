import json
import shutil

import joblib
import pytest

from smileback.common.errors import ConfigError, SmilebackError
from smileback.scorer.model.artifact import load_model, shipped_dir
from smileback.scorer.model.card import ARTIFACT_NAME, CARD_NAME
from smileback.scorer.model.errors import ModelError
from smileback.training.data import sha256_file


class Boom:
    """Unpickling this would create a file: proof that a payload ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.fixture
def model_dir(tmp_path, small_model):
    folder = tmp_path / "model"
    shutil.copytree(small_model[0], folder)
    return folder


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


def test_a_swapped_artifact_is_refused_without_being_unpickled(model_dir, tmp_path):
    marker = tmp_path / "payload-ran"
    joblib.dump(Boom(marker), model_dir / ARTIFACT_NAME)
    with pytest.raises(ModelError, match="the file was changed or corrupted"):
        load_model(model_dir)
    assert not marker.exists()


def test_a_swapped_artifact_with_a_matching_forged_card_still_needs_the_right_type(
    model_dir, tmp_path
):
    """Someone who can rewrite the card can run code; but a wrong object is still refused."""
    joblib.dump({"not": "a model"}, model_dir / ARTIFACT_NAME)
    card = json.loads((model_dir / CARD_NAME).read_text())
    card["artifact_sha256"] = sha256_file(model_dir / ARTIFACT_NAME)
    (model_dir / CARD_NAME).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="holds a dict, not a NegativityModel"):
        load_model(model_dir)


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


@pytest.mark.parametrize("name", ["../negativity.joblib", "sub/negativity.joblib", ".."])
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


def test_the_shipped_artifact_matches_its_shipped_card_and_is_small():
    card = json.loads((shipped_dir() / CARD_NAME).read_text())
    path = shipped_dir() / ARTIFACT_NAME
    assert sha256_file(path) == card["artifact_sha256"]
    assert path.stat().st_size == card["artifact_bytes"] < 20_000_000
