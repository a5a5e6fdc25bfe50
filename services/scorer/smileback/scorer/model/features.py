"""Texts to one sparse float32 matrix: word n-grams, character n-grams and lexicon scores.

Blocks, in column order:

- word: word 1..n-grams over the normalised token stream (negation-marked), plus the
  caps/elongation markers as unigrams.
- char: character low..high-grams inside each plain word padded with spaces
  (scikit-learn's `char_wb`), which carry misspellings and unseen inflections.
- lexicon: a handful of dense scores from the valences `Normaliser` collected.

The word and char blocks are TF-IDF weighted (1 + log tf, smoothed idf) and each is
scaled to unit length per row, as TfidfVectorizer(sublinear_tf=True) would. Fitting
picks each vocabulary with CountVectorizer (min_df, max_features); turning texts into
rows is this module's own loop, because words repeat across mentions and a per-word
cache of character n-gram columns makes scoring several times faster.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]  # scipy ships no stubs

from smileback.scorer.model.normalise import Normalised, Normaliser

__all__ = ["LEXICON_FEATURES", "SocialFeatures", "char_grams", "word_grams"]

LEXICON_FEATURES = ("lex:positive", "lex:negative", "lex:balance", "lex:any_pos", "lex:any_neg")
_CACHE_WORDS = 200_000  # bound on the per-word cache; cleared whole when full
FloatArray = np.ndarray[Any, np.dtype[np.float32]]


def word_grams(doc: Normalised, *, n: int) -> list[str]:
    """Word 1..n-grams of the token stream, then the markers."""
    tokens = doc.tokens
    grams = list(tokens)
    for size in range(2, n + 1):
        grams += [" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)]
    return grams + list(doc.markers)


def char_grams(doc: Normalised, *, low: int, high: int) -> list[str]:
    """Character low..high-grams within each space-padded word."""
    return [gram for word in doc.chars for gram in _word_char_grams(word, low, high)]


def _word_char_grams(word: str, low: int, high: int) -> list[str]:
    padded = f" {word} "
    return [
        padded[i : i + size] for size in range(low, high + 1) for i in range(len(padded) - size + 1)
    ]


class SocialFeatures:
    """Fits vocabularies on training texts, then turns any texts into feature rows."""

    def __init__(
        self,
        *,
        lexicon: Mapping[str, float],
        word_n: int = 2,
        word_max: int = 100_000,
        char_range: tuple[int, int] = (2, 5),
        char_max: int = 100_000,
        min_df: int = 2,
    ) -> None:
        self.normaliser = Normaliser(lexicon=lexicon)
        self.word_n = word_n
        self.word_max = word_max
        self.char_range = char_range
        self.char_max = char_max
        self.min_df = min_df
        self.word_vocabulary: dict[str, int] = {}
        self.char_vocabulary: dict[str, int] = {}
        self.idf: FloatArray = np.zeros(0, dtype=np.float32)
        self._cache: dict[str, tuple[int, ...]] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_cache"] = {}  # a warm cache is scoring state, not part of the model
        return state

    @property
    def n_word(self) -> int:
        """How many columns the word block has (they come first)."""
        return len(self.word_vocabulary)

    @property
    def n_columns(self) -> int:
        """Columns in every row: word, char, then lexicon."""
        return self.n_word + len(self.char_vocabulary) + len(LEXICON_FEATURES)

    def fit_transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Learn vocabularies and idf weights from `texts`, and return their rows."""
        docs = self.normalise(texts)
        low, high = self.char_range
        self.word_vocabulary = _vocabulary(
            docs, partial(word_grams, n=self.word_n), min_df=self.min_df, limit=self.word_max
        )
        self.char_vocabulary = _vocabulary(
            docs, partial(char_grams, low=low, high=high), min_df=self.min_df, limit=self.char_max
        )
        self._cache.clear()
        counts = self._counts(docs)
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        # Smoothed idf, as TfidfTransformer(smooth_idf=True) computes it.
        self.idf = (np.log((1.0 + len(docs)) / (1.0 + df)) + 1.0).astype(np.float32)
        return self._rows(docs, counts)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Feature rows for `texts`, one per text, in order."""
        docs = self.normalise(texts)
        return self._rows(docs, self._counts(docs))

    def clear_caches(self) -> None:
        """Forget the per-word caches (scoring then runs as on a fresh start)."""
        self._cache.clear()
        self.normaliser.clear_cache()

    def normalise(self, texts: Sequence[str]) -> list[Normalised]:
        """Every text normalised against this model's lexicon."""
        return [self.normaliser(text) for text in texts]

    def _counts(self, docs: Sequence[Normalised]) -> sp.csr_matrix:
        """Term counts of the word and char blocks, one row per doc."""
        words = self.word_vocabulary
        cache = self._cache
        indices: list[int] = []
        indptr = [0]
        # Plain lists until the end: small numpy calls per doc would cost more than the work.
        for doc in docs:
            for gram in word_grams(doc, n=self.word_n):
                column = words.get(gram)
                if column is not None:
                    indices.append(column)
            for word in doc.chars:
                columns = cache.get(word)
                indices.extend(self._char_columns(word) if columns is None else columns)
            indptr.append(len(indices))
        counts = sp.csr_matrix(
            (
                np.ones(len(indices), dtype=np.float32),
                np.array(indices, dtype=np.int64),
                np.array(indptr, dtype=np.int64),
            ),
            shape=(len(docs), self.n_word + len(self.char_vocabulary)),
        )
        counts.sum_duplicates()
        return counts

    def _char_columns(self, word: str) -> tuple[int, ...]:
        """Columns (already offset past the word block) of one word's character n-grams."""
        if len(self._cache) > _CACHE_WORDS:
            self._cache.clear()
        vocabulary = self.char_vocabulary
        found = [vocabulary.get(g) for g in _word_char_grams(word, *self.char_range)]
        columns = self._cache[word] = tuple(self.n_word + c for c in found if c is not None)
        return columns

    def _rows(self, docs: Sequence[Normalised], counts: sp.csr_matrix) -> sp.csr_matrix:
        """TF-IDF with one unit length per block and row, then the lexicon columns."""
        n, width = counts.shape
        data = (1.0 + np.log(counts.data)) * self.idf[counts.indices]
        row = np.repeat(np.arange(n), np.diff(counts.indptr))
        block = row * 2 + (counts.indices >= self.n_word)
        norms = np.sqrt(np.bincount(block, weights=data * data, minlength=2 * n))
        # Assembled by hand rather than with sp.hstack, whose per-call cost is larger than
        # scoring a small batch: each row's TF-IDF entries, then its lexicon columns.
        extra = len(LEXICON_FEATURES)
        indptr = counts.indptr + extra * np.arange(n + 1)
        values = np.empty(indptr[-1], dtype=np.float32)
        columns = np.empty(indptr[-1], dtype=np.int32)
        at = np.arange(len(data)) + extra * row
        values[at] = data / norms[block]
        columns[at] = counts.indices
        lexicon_at = (indptr[1:, None] - extra + np.arange(extra)).ravel()
        values[lexicon_at] = _lexicon_rows(docs).ravel()
        columns[lexicon_at] = np.tile(width + np.arange(extra), n)
        return sp.csr_matrix((values, columns, indptr), shape=(n, width + extra))


def _vocabulary(
    docs: Sequence[Normalised], analyzer: Any, *, min_df: int, limit: int
) -> dict[str, int]:
    """Terms seen in at least `min_df` docs, the `limit` most frequent, numbered A to Z."""
    # Imported here: only training needs it, and scoring starts faster without scikit-learn.
    from sklearn.feature_extraction.text import CountVectorizer

    counter = CountVectorizer(analyzer=analyzer, min_df=min_df, max_features=limit).fit(docs)
    return {str(term): int(column) for term, column in counter.vocabulary_.items()}


def _lexicon_rows(docs: Sequence[Normalised]) -> FloatArray:
    """Per text: normalised positive and negative valence sums, their balance, presence."""
    rows = np.zeros((len(docs), len(LEXICON_FEATURES)), dtype=np.float32)
    for i, doc in enumerate(docs):
        if not doc.valences:
            continue
        positive = sum(v for v in doc.valences if v > 0)
        negative = -sum(v for v in doc.valences if v < 0)
        rows[i] = (
            _squash(positive),
            _squash(negative),
            _squash(positive - negative),
            positive > 0,
            negative > 0,
        )
    return rows


def _squash(score: float) -> float:
    """VADER's normalisation of a valence sum into -1..1."""
    return score / math.sqrt(score * score + 15.0)
