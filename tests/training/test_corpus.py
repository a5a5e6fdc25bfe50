"""The brand-directed training corpus: what ships, how it loads, how training uses it."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from smileback.common.errors import ConfigError
from smileback.training.commands import default_brand_set
from smileback.training.data import corpus_dir, load_corpus, split_half
from smileback.training.training import train
from tests.support.small_model import SMALL
from tests.support.synthetic_tweeteval import rows


def _handles(texts: list[str]) -> set[str]:
    return {handle.lower() for text in texts for handle in re.findall(r"@(\w+)", text)}


def test_the_shipped_corpus_is_large_labelled_and_disjoint_from_the_check_set():
    corpus = load_corpus(corpus_dir())
    assert len(corpus) >= 2_000
    assert np.bincount(corpus.labels, minlength=3).min() >= 500
    assert len(set(corpus.texts)) == len(corpus)
    assert set(corpus.sources) == {f"corpus/{path.name}" for path in corpus_dir().glob("*.jsonl")}
    check = [json.loads(line)["text"] for line in default_brand_set().read_text().splitlines()]
    check_brands = _handles(check) - {"user"}
    assert len(check_brands) >= 10
    assert not set(check) & set(corpus.texts)
    lowered = "\n".join(corpus.texts).lower()
    assert [brand for brand in check_brands if brand in lowered] == []


def test_load_corpus_merges_every_jsonl_file_in_name_order(tmp_path: Path):
    (tmp_path / "b.jsonl").write_text('{"text": "second", "label": "positive"}\n')
    (tmp_path / "a.jsonl").write_text('{"text": "first", "label": "negative"}\n')
    (tmp_path / "notes.txt").write_text("not data")
    corpus = load_corpus(tmp_path)
    assert corpus.texts == ["first", "second"]
    assert corpus.labels.tolist() == [0, 2]
    assert set(corpus.sources) == {"corpus/a.jsonl", "corpus/b.jsonl"}


def test_load_corpus_refuses_an_empty_folder_and_bad_rows(tmp_path: Path):
    with pytest.raises(ConfigError, match="no labelled JSONL files"):
        load_corpus(tmp_path)
    (tmp_path / "bad.jsonl").write_text('{"text": "x", "label": "angry"}\n')
    with pytest.raises(ConfigError, match="unknown label 'angry'"):
        load_corpus(tmp_path)


def test_split_share_is_stratified_disjoint_and_fixed_by_the_seed():
    labels = np.array([0] * 40 + [1] * 20 + [2] * 8)
    first, second = split_half(labels, seed=3, share=0.75)
    assert np.bincount(labels[first]).tolist() == [30, 15, 6]
    assert not set(first) & set(second)
    assert len(first) + len(second) == len(labels)
    again, _ = split_half(labels, seed=3, share=0.75)
    assert again.tolist() == first.tolist()
    assert split_half(labels, seed=4, share=0.75)[0].tolist() != first.tolist()


def _brand_corpus(folder: Path) -> Path:
    folder.mkdir()
    lines = [
        json.dumps({"text": f"@zipbrand {text}", "label": label}) for text, label in rows()[::3]
    ]
    (folder / "mine.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def test_training_fits_on_part_of_the_corpus_weighted_and_tunes_on_the_rest(
    small_data, tmp_path: Path
):
    corpus = load_corpus(_brand_corpus(tmp_path / "corpus"))
    quiet = lambda message: None  # noqa: E731
    weighted = train(
        tweeteval=small_data,
        out_dir=tmp_path,
        progress=quiet,
        options=SMALL,
        corpus=corpus,
    )
    card = weighted.card
    assert "corpus/mine.jsonl" in card.training_data
    assert "corpus/mine.jsonl" in card.threshold_data
    assert card.parameters["brand_weight"] == SMALL.brand_weight
    brand_tune_rows = len(split_half(corpus.labels, seed=SMALL.seed, share=0.75)[1])
    assert card.metrics["brand_corpus_tune"].rows == brand_tune_rows
    assert card.metrics["brand_corpus_tune"].seen_in == "threshold"
    plain = train(
        tweeteval=small_data,
        out_dir=tmp_path / "plain",
        progress=quiet,
        options=SMALL.__class__(**{**SMALL.__dict__, "brand_weight": 1.0}),
        corpus=corpus,
    )
    assert plain.card.artifact_sha256 != card.artifact_sha256
