"""The optimised scoring path gives exactly what the straightforward reference gives."""

import re
import sys

import numpy as np
import pytest

from smileback.scorer.model.archive import decode_model, encode_model
from smileback.scorer.model.artifact import load_model, shipped_dir
from smileback.scorer.model.card import ARTIFACT_NAME
from smileback.scorer.model.features import SocialFeatures
from smileback.scorer.model.normalise import Normaliser
from smileback.training.lexicon import vader_lexicon
from tests.scorer.model import reference
from tests.support.synthetic_tweeteval import rows as synthetic_rows

TEXTS = reference.social_texts(400)


@pytest.fixture(scope="module")
def shipped():
    return load_model().model


def test_the_texts_cover_what_social_text_throws_at_the_tokeniser():
    joined = "".join(TEXTS)
    assert "" in TEXTS
    for needle in ("@acme", "http://", "www.", "#", "😡", "xD", "D:<", "n't", "sooo", "日本語"):
        assert needle in joined
    assert any(text.isupper() for text in TEXTS)
    assert any(not text.isupper() and re.search(r"\b[A-Z]{2,}\b", text) for text in TEXTS)


def test_whitespace_splits_texts_exactly_where_the_token_pattern_sees_whitespace():
    """Chunking a text at str.split() is exact only if both agree on every code point."""
    every = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    assert re.findall(r"\s", every) == [c for c in every if c.isspace()]


def test_normaliser_matches_the_reference_cold_and_warm():
    lexicon = vader_lexicon()
    normalise = Normaliser(lexicon=lexicon)
    expected = [reference.normalise(text, lexicon=lexicon) for text in TEXTS]
    assert [normalise(text) for text in TEXTS] == expected  # caches filling
    assert [normalise(text) for text in TEXTS] == expected  # caches warm
    normalise.clear_cache()
    assert [normalise(text) for text in reversed(TEXTS)] == expected[::-1]


@pytest.mark.parametrize("batch", [0, 1, 7, len(TEXTS)])
def test_shipped_model_rows_match_the_reference_bit_for_bit(shipped, batch):
    features = shipped.features
    features.clear_caches()
    for start in range(0, len(TEXTS), max(batch, 50)):
        texts = TEXTS[start : start + batch]
        assert reference.same_matrix(features.transform(texts), reference.rows(features, texts))


def test_shipped_model_explanations_match_the_reference(shipped):
    rows = shipped.features.transform(TEXTS)
    proba = shipped.probabilities(rows)
    assert (
        proba.tobytes() == shipped.probabilities(reference.rows(shipped.features, TEXTS)).tobytes()
    )
    for classes, wanted in (
        (np.argmax(proba, axis=1), np.ones(len(TEXTS), dtype=bool)),
        (np.zeros(len(TEXTS), dtype=np.int64), proba[:, 0] > 0.3),
        (np.full(len(TEXTS), 2), np.arange(len(TEXTS)) % 2 == 0),
    ):
        got = shipped.explain(rows, classes=classes, wanted=wanted, top=5)
        assert got == reference.explain(shipped, rows, classes=classes, wanted=wanted, top=5)
        assert sum(map(len, got)) > 0


@pytest.mark.parametrize(("word_n", "char_range"), [(1, (3, 3)), (3, (1, 4))])
def test_fitted_features_of_other_shapes_match_the_reference(word_n, char_range):
    """Other n-gram sizes, and vocabularies small enough to leave most grams out."""
    texts = [text for text, _ in synthetic_rows()] + TEXTS[:200]
    features = SocialFeatures(
        lexicon=vader_lexicon(), word_n=word_n, char_range=char_range, word_max=300, char_max=400
    )
    fitted = features.fit_transform(texts)
    assert reference.same_matrix(fitted, reference.rows(features, texts))
    unseen = TEXTS[200:]
    assert reference.same_matrix(features.transform(unseen), reference.rows(features, unseen))


def test_the_shipped_archive_is_what_the_model_encodes_to_with_warm_caches(shipped):
    """Derived lookups and caches stay out of the archive, so retraining reproduces it byte
    for byte, and a model decoded from it scores exactly as the one it was made from."""
    shipped.features.transform(TEXTS[:50])  # warms the caches and builds the lookups
    shipped.explain(
        shipped.features.transform(TEXTS[:50]),
        classes=np.zeros(50, dtype=np.int64),
        wanted=np.ones(50, dtype=bool),
        top=5,
    )
    data = (shipped_dir() / ARTIFACT_NAME).read_bytes()
    assert encode_model(shipped) == data
    restored = decode_model(data)
    rows = restored.features.transform(TEXTS)
    assert reference.same_matrix(rows, shipped.features.transform(TEXTS))
    assert restored.probabilities(rows).tobytes() == shipped.probabilities(rows).tobytes()
