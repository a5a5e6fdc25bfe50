from functools import partial

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer

from smileback.scorer.model.features import (
    LEXICON_FEATURES,
    SocialFeatures,
    _vocabulary,
    char_grams,
    word_grams,
)
from smileback.training.lexicon import vader_lexicon
from tests.support.synthetic_tweeteval import rows

TEXTS = [text for text, _ in rows()]
UNSEEN = ["@acme the coffee is sooo awful!!! 😡", "", "brand new words only", "LOVE the app ❤️"]


@pytest.fixture(scope="module")
def fitted():
    features = SocialFeatures(lexicon=vader_lexicon(), word_max=500, char_max=800)
    return features, features.fit_transform(TEXTS)


def test_rows_have_one_unit_length_per_block_and_the_lexicon_columns(fitted):
    features, _ = fitted
    rows = features.transform(UNSEEN).toarray()
    word, char = rows[:, : features.n_word], rows[:, features.n_word : -len(LEXICON_FEATURES)]
    assert rows.shape == (4, features.n_columns)
    assert rows.dtype == np.float32
    for i in (0, 3):
        assert np.linalg.norm(word[i]) == pytest.approx(1.0, abs=1e-5)
        assert np.linalg.norm(char[i]) == pytest.approx(1.0, abs=1e-5)
    assert not rows[1].any()  # empty text: no features at all
    lexicon = rows[:, -len(LEXICON_FEATURES) :]
    assert lexicon[0][1] > 0.5  # strongly negative valence
    assert lexicon[3][0] > 0.5  # strongly positive valence


def test_fast_counts_equal_scikit_learn_counts(fitted):
    """The batch counting must build exactly what CountVectorizer would."""
    features, _ = fitted
    docs = features.normalise([*UNSEEN, *TEXTS[:20]])
    words, chars = (
        sp.csr_matrix((block.data, block.indices, block.indptr), shape=(len(docs), len(vocabulary)))
        for block, vocabulary in zip(
            features._counts(docs),
            (features.word_vocabulary, features.char_vocabulary),
            strict=True,
        )
    )
    expected_words = CountVectorizer(
        analyzer=partial(word_grams, n=2), vocabulary=features.word_vocabulary
    ).transform(docs)
    expected_chars = CountVectorizer(
        analyzer=partial(char_grams, low=2, high=5), vocabulary=features.char_vocabulary
    ).transform(docs)
    assert np.array_equal(words.toarray(), expected_words.toarray())
    assert np.array_equal(chars.toarray(), expected_chars.toarray())
    assert words.has_canonical_format
    assert chars.has_canonical_format
    assert words.nnz > 0
    assert chars.nnz > 0


def test_fit_rows_equal_transform_rows(fitted):
    features, fit_rows = fitted
    again = features.transform(TEXTS)
    assert abs(fit_rows - again).max() < 1e-6


def test_vocabulary_limits_and_min_df_hold(fitted):
    features, _ = fitted
    assert len(features.word_vocabulary) <= 500
    assert len(features.char_vocabulary) <= 800
    assert "neg_happy" in features.word_vocabulary  # "not happy with ..." appears 6 times


def test_the_vocabulary_cut_keeps_tied_terms_a_to_z():
    """Which of the tied terms survive must not depend on the sort (or the CPU)."""
    tied = [f"t{i:03d}" for i in range(300)]
    docs = [" ".join(["zz", "zz", *reversed(tied)]), " ".join(["zz", *tied]), "rare"]
    vocabulary = _vocabulary(docs, str.split, min_df=2, limit=101)
    assert vocabulary == {term: column for column, term in enumerate([*tied[:100], "zz"])}
    assert _vocabulary(docs, str.split, min_df=1, limit=1) == {"zz": 0}


def test_features_rebuilt_from_their_stored_parts_start_cold_and_transform_alike(fitted):
    features, _ = fitted
    features.transform(UNSEEN)
    assert features.normaliser._words
    assert any(cache for caches in features.normaliser._pieces for cache in caches)
    assert features._lookup is not None
    restored = SocialFeatures.fitted(
        lexicon=features.normaliser.lexicon,
        word_n=features.word_n,
        word_max=features.word_max,
        char_range=features.char_range,
        char_max=features.char_max,
        min_df=features.min_df,
        word_vocabulary=features.word_vocabulary,
        char_vocabulary=features.char_vocabulary,
        idf=features.idf,
    )
    assert restored.normaliser._words == {}
    assert not any(cache for caches in restored.normaliser._pieces for cache in caches)
    assert restored._lookup is None
    assert restored.n_columns == features.n_columns
    assert abs(restored.transform(UNSEEN) - features.transform(UNSEEN)).max() == 0
