"""Responders' labels in training and evaluation: the export read back as data, each mention
once by its latest label, weighted like the brand corpus, and a check set for `evaluate`."""

import io
import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from smileback.common.errors import ConfigError
from smileback.common.mention_labels import LabelRecord, MentionLabel
from smileback.scorer.model.artifact import load_model
from smileback.scorer.model.scorer import ModelScorer
from smileback.training.commands import run_evaluate
from smileback.training.data import LABELS
from smileback.training.responder_labels import responder_labels
from smileback.training.training import train
from tests.support.small_model import SMALL

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
# Slang praise the synthetic corpus reads as a complaint, and sarcasm it reads as kind.
PRAISE = "the coffee is sick, wicked and unreal"
SARCASM = "great, thank you, wonderful: the train is late again"


def record(mention_id, label, *, text="the app", minutes=0, responder="sam"):
    return LabelRecord(
        mention_id=mention_id,
        brand="acme",
        text=text,
        label=label,
        responder=responder,
        at=AT + timedelta(minutes=minutes),
    )


def write_export(path, records):
    path.write_text("".join(r.model_dump_json() + "\n" for r in records), encoding="utf-8")
    return path


def test_each_mention_counts_once_by_its_latest_label_and_not_for_us_is_left_out(tmp_path):
    path = write_export(
        tmp_path / "labels.jsonl",
        [
            record("m1", MentionLabel.MISSED_COMPLAINT, text="cold again", minutes=1),
            record("m1", MentionLabel.NOT_A_COMPLAINT, text="cold again", responder="kim"),
            record("m2", MentionLabel.NOT_A_COMPLAINT, text="see you there", minutes=0),
            record("m2", MentionLabel.NOT_FOR_US, text="see you there", minutes=5),
            record("m3", MentionLabel.NOT_A_COMPLAINT, text="lost keys, thanks!"),
        ],
    )
    labelled = responder_labels(path)
    assert labelled.texts == ["cold again", "lost keys, thanks!"]
    assert [LABELS[y] for y in labelled.labels] == ["negative", "neutral"]
    assert list(labelled.sources) == ["labels/labels.jsonl"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json\n", r"labels.jsonl:1: not a label record"),
        ('\n{"text": "x"}\n', r"labels.jsonl:2: not a label record: mention_id: Field required"),
        ("OK\n__import__('os')\n", r"labels.jsonl:2: not a label record"),
        ("[1, 2]\n", r"labels.jsonl:1: not a label record"),
    ],
)
def test_a_bad_line_is_named(tmp_path, content, message):
    good = record("m1", MentionLabel.MISSED_COMPLAINT).model_dump_json()
    path = tmp_path / "labels.jsonl"
    path.write_text(content.replace("OK", good), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        responder_labels(path)


def test_a_bad_label_or_an_extra_field_is_named(tmp_path):
    line = record("m1", MentionLabel.MISSED_COMPLAINT).model_dump(mode="json")
    for bad, message in (
        ({**line, "label": "spam"}, "1: not a label record: label: Input should be"),
        ({**line, "code": "x"}, "1: not a label record: code: Extra inputs are not permitted"),
        ({**line, "at": "2026-12-01T09:00:00"}, "1: not a label record: at: Input should"),
    ):
        path = tmp_path / "bad.jsonl"
        path.write_text(json.dumps(bad) + "\n")
        with pytest.raises(ConfigError, match=message):
            responder_labels(path)


def test_nothing_usable_or_no_file_is_a_clear_error(tmp_path):
    only = write_export(tmp_path / "only.jsonl", [record("m1", MentionLabel.NOT_FOR_US)])
    with pytest.raises(ConfigError, match="no usable labels"):
        responder_labels(only)
    with pytest.raises(ConfigError, match="labels file not found"):
        responder_labels(tmp_path / "missing.jsonl")
    (tmp_path / "latin1.jsonl").write_bytes(b"caf\xe9\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        responder_labels(tmp_path / "latin1.jsonl")


def _negativity(model_dir, texts):
    return np.array([s.negativity for s in ModelScorer(load_model(model_dir)).score_texts(texts)])


def test_labels_move_the_model_their_way_weighted_like_the_brand_corpus(
    small_model, small_data, tmp_path
):
    export = write_export(
        tmp_path / "labels.jsonl",
        [
            record("m1", MentionLabel.NOT_A_COMPLAINT, text=PRAISE),
            record("m2", MentionLabel.MISSED_COMPLAINT, text=SARCASM),
        ],
    )
    labels = responder_labels(export)
    before = _negativity(small_model[0], [PRAISE, SARCASM])
    result = train(
        tweeteval=small_data, out_dir=tmp_path / "weighted", progress=lambda m: None,
        options=SMALL, labels=labels,
    )  # fmt: skip
    after = _negativity(tmp_path / "weighted", [PRAISE, SARCASM])
    assert after[0] < before[0]  # "not a complaint": less negative
    assert after[1] > before[1]  # "missed complaint": more negative
    assert "labels/labels.jsonl" in result.card.training_data
    # Evaluated on the labels it learnt from, the check set says it was seen in training.
    table = run_evaluate(
        model_dir=tmp_path / "weighted", data=small_data, brand=tmp_path / "no-brand-set",
        out=tmp_path / "eval", labels=export, err=io.StringIO(),
    )  # fmt: skip
    assert "| responders' labels (real traffic) | training | model | 2 |" in table

    train(
        tweeteval=small_data, out_dir=tmp_path / "plain", progress=lambda m: None,
        options=SMALL.__class__(**{**SMALL.__dict__, "brand_weight": 1.0}), labels=labels,
    )  # fmt: skip
    unweighted = _negativity(tmp_path / "plain", [PRAISE, SARCASM])
    # Weighing a label as much as a brand-corpus row moves the model further than a tweet's.
    assert after[0] < unweighted[0]
    assert after[1] > unweighted[1]
