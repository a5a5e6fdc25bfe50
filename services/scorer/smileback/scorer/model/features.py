"""Texts to one sparse float32 matrix: word n-grams, character n-grams and lexicon scores.

Blocks, in column order:

- word: word 1..n-grams over the normalised token stream (negation-marked), plus the
  caps/elongation markers as unigrams.
- char: character low..high-grams inside each plain word padded with spaces
  (scikit-learn's `char_wb`), which carry misspellings and unseen inflections.
- lexicon: a handful of dense scores from the valences `Normaliser` collected.

The word and char blocks are TF-IDF weighted (1 + log tf, smoothed idf) and each is
scaled to unit length per row, as TfidfVectorizer(sublinear_tf=True) would. Fitting
counts with CountVectorizer (min_df) and keeps the most frequent terms, ties cut A to Z
(see `_vocabulary`). Turning texts into rows is this module's own code, built for
batches: Python touches each token once (a dict lookup), and numpy finds a whole batch's
n-grams in each vocabulary at once through a `GramIndex` (module `grams`), derived from
the vocabularies after loading or fitting.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Sized
from functools import partial
from itertools import chain, repeat
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]  # scipy ships no stubs

from smileback.scorer.model.grams import IntArray, VocabularyLookup, ints
from smileback.scorer.model.normalise import Normalised, Normaliser

__all__ = [
    "LEXICON_FEATURES",
    "FloatArray",
    "IntArray",
    "SocialFeatures",
    "char_grams",
    "word_grams",
]

LEXICON_FEATURES = ("lex:positive", "lex:negative", "lex:balance", "lex:any_pos", "lex:any_neg")
FloatArray = np.ndarray[Any, np.dtype[np.float32]]
_INT32_MAX = 2**31 - 1


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
        self._lookup: VocabularyLookup | None = None

    @classmethod
    def fitted(
        cls,
        *,
        lexicon: Mapping[str, float],
        word_n: int,
        word_max: int,
        char_range: tuple[int, int],
        char_max: int,
        min_df: int,
        word_vocabulary: dict[str, int],
        char_vocabulary: dict[str, int],
        idf: FloatArray,
    ) -> SocialFeatures:
        """Features as `fit_transform` left them, from what a model archive stores."""
        features = cls(
            lexicon=lexicon,
            word_n=word_n,
            word_max=word_max,
            char_range=char_range,
            char_max=char_max,
            min_df=min_df,
        )
        features.word_vocabulary = word_vocabulary
        features.char_vocabulary = char_vocabulary
        features.idf = idf
        return features

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
        blocks = self._counts(docs)
        df = np.bincount(
            np.concatenate((blocks[0].indices, blocks[1].indices + self.n_word)),
            minlength=self.n_word + len(self.char_vocabulary),
        )
        # Smoothed idf, as TfidfTransformer(smooth_idf=True) computes it.
        self.idf = (np.log((1.0 + len(docs)) / (1.0 + df)) + 1.0).astype(np.float32)
        return self._rows(docs, blocks)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Feature rows for `texts`, one per text, in order."""
        docs = self.normalise(texts)
        return self._rows(docs, self._counts(docs))

    def clear_caches(self) -> None:
        """Forget the per-word caches (scoring then runs as on a fresh start)."""
        self.normaliser.clear_cache()

    def normalise(self, texts: Sequence[str]) -> list[Normalised]:
        """Every text normalised against this model's lexicon."""
        return [self.normaliser(text) for text in texts]

    def _counts(self, docs: Sequence[Normalised]) -> tuple[_Counts, _Counts]:
        """Term counts of the word block and of the char block (columns from 0), per doc."""
        lookup = self._vocabulary_lookup()
        token_id = lookup.token_ids.get
        marker_column = self.word_vocabulary.get
        absent = repeat(-1)  # outside the vocabulary
        # Each distinct word of the batch once: docs count char n-grams through it.
        distinct = dict.fromkeys(chain.from_iterable(doc.chars for doc in docs))
        number = dict(zip(distinct, range(len(distinct)), strict=True)).__getitem__
        tokens: list[int] = []
        markers: list[int] = []
        words: list[int] = []
        # Per token one dict lookup, iterated in C by map; numpy does the rest.
        for doc in docs:
            tokens += map(token_id, doc.tokens, absent)
            markers += map(marker_column, doc.markers, absent)
            words += map(number, doc.chars)
        n = len(docs)
        rows, columns = lookup.words.find(ints(tokens), _rows_of(doc.tokens for doc in docs))
        word_block = _tally(
            np.concatenate((rows, _rows_of(doc.markers for doc in docs))),
            np.concatenate((columns, ints(markers))),
            n=n,
            width=self.n_word,
        )
        # The distinct words padded and run together; n-grams stay within a word.
        padded = np.fromiter(map(len, distinct), dtype=np.int64, count=len(distinct)) + 2
        spelled = f" {'  '.join(distinct)} " if distinct else ""
        owners, columns = lookup.chars.find(
            lookup.character_ids(spelled), np.repeat(np.arange(len(distinct)), padded)
        )
        width = len(self.char_vocabulary)
        rows, columns = _spread(
            owners,
            columns,
            width=width,
            rows=_rows_of(doc.chars for doc in docs),
            words=ints(words),
        )
        return word_block, _tally(rows, columns, n=n, width=width)

    def _vocabulary_lookup(self) -> VocabularyLookup:
        """The vocabularies as `GramIndex`es, built on first use after loading or fitting."""
        lookup = self._lookup
        if (
            lookup is None
            or lookup.word_vocabulary is not self.word_vocabulary
            or lookup.char_vocabulary is not self.char_vocabulary
        ):
            lookup = self._lookup = VocabularyLookup.of(
                word_vocabulary=self.word_vocabulary, char_vocabulary=self.char_vocabulary
            )
        return lookup

    def _rows(self, docs: Sequence[Normalised], blocks: tuple[_Counts, _Counts]) -> sp.csr_matrix:
        """TF-IDF with one unit length per block and row, then the lexicon columns."""
        n = len(docs)
        extra = len(LEXICON_FEATURES)
        word, char = blocks
        width = self.n_word + len(self.char_vocabulary)
        # Assembled by hand rather than with sp.hstack, whose per-call cost is larger than
        # scoring a small batch: per row its word entries, char entries, lexicon columns.
        indptr = word.indptr + char.indptr + extra * np.arange(n + 1)
        values = np.empty(indptr[-1], dtype=np.float32)
        columns = np.empty(indptr[-1], dtype=np.int32)
        for block, offset, before in (
            (word, 0, char.indptr[:-1]),
            (char, self.n_word, word.indptr[1:]),
        ):
            counts = block.indptr[1:] - block.indptr[:-1]
            row = np.repeat(np.arange(n), counts)
            data = (1.0 + np.log(block.data)) * self.idf[block.indices + offset]
            norms = np.sqrt(np.bincount(row, weights=data * data, minlength=n))
            at = np.arange(len(data)) + np.repeat(before + extra * np.arange(n), counts)
            values[at] = data / norms[row]
            columns[at] = block.indices + offset
        lexicon_at = (indptr[1:, None] - extra + np.arange(extra)).ravel()
        values[lexicon_at] = _lexicon_rows(docs).ravel()
        columns[lexicon_at] = np.tile(width + np.arange(extra), n)
        return sp.csr_matrix((values, columns, indptr), shape=(n, width + extra))


def _rows_of(items: Iterable[Sized]) -> IntArray:
    """Row number of every item, row i holding items ends[i-1]:ends[i]."""
    lengths = np.fromiter(map(len, items), dtype=np.int64)
    return np.repeat(np.arange(len(lengths)), lengths)


def _spread(
    owners: IntArray, columns: IntArray, *, width: int, rows: IntArray, words: IntArray
) -> tuple[IntArray, IntArray]:
    """(row, column) of each n-gram of each word occurrence.

    `owners` and `columns` pair each distinct word with its n-grams (columns below
    `width`); `rows` and `words` say which doc each occurrence is in, and which word.
    """
    grouped = _sorted_keys(owners, columns, width=width, n=int(owners.max(initial=0)) + 1)
    owners = grouped // width  # each word's n-grams now together, words in order
    per_word = np.bincount(owners, minlength=int(words.max(initial=-1)) + 1)
    lengths = per_word[words]
    starts = np.cumsum(per_word) - per_word
    shift = starts[words] - np.cumsum(lengths) + lengths
    at = np.arange(int(lengths.sum())) + np.repeat(shift, lengths)
    return np.repeat(rows, lengths), (grouped - owners * width)[at]


def _sorted_keys(rows: IntArray, columns: IntArray, *, width: int, n: int) -> IntArray:
    """row * width + column of each pair with column >= 0, sorted; rows below `n`."""
    keep = columns >= 0
    keys = rows[keep] * width + columns[keep]
    if n * width <= _INT32_MAX:
        keys = keys.astype(np.int32)  # sorts twice as fast
    keys.sort()
    return keys


def _tally(rows: IntArray, columns: IntArray, *, n: int, width: int) -> _Counts:
    """Canonical counts of (row, column) pairs of `n` rows, pairs with column -1 left out."""
    keys = _sorted_keys(rows, columns, width=width, n=n)
    starts = np.ones(len(keys), dtype=bool)  # where a run of equal keys starts
    np.not_equal(keys[1:], keys[:-1], out=starts[1:])
    first = np.flatnonzero(starts)
    counts = (np.append(first[1:], len(keys)) - first).astype(np.float32)
    keys = keys[first]
    row_of = keys // width
    return _Counts(np.searchsorted(row_of, np.arange(n + 1)), keys - row_of * width, counts)


class _Counts(NamedTuple):
    """Counts per row in CSR arrays, canonical: columns sorted within a row, each once."""

    indptr: IntArray
    indices: IntArray
    data: FloatArray


def _vocabulary(
    docs: Sequence[Normalised], analyzer: Any, *, min_df: int, limit: int
) -> dict[str, int]:
    """Terms seen in at least `min_df` docs, the `limit` most frequent, numbered A to Z.

    Terms tied in frequency at the cut are kept in A to Z order. CountVectorizer's own
    `max_features` cuts with numpy's default argsort, which is not stable and is
    dispatched to CPU-specific SIMD code: ties fell differently on AVX2 and AVX-512, so
    the vocabulary, and everything fitted on it, depended on the machine.
    """
    # Imported here: only training needs it, and scoring starts faster without scikit-learn.
    from sklearn.feature_extraction.text import CountVectorizer

    counter = CountVectorizer(analyzer=analyzer, min_df=min_df)
    counts = counter.fit_transform(docs)
    terms = counter.get_feature_names_out()  # A to Z: column order
    totals = np.asarray(counts.sum(axis=0)).ravel()  # integer counts: exact everywhere
    kept = np.sort(np.argsort(-totals, kind="stable")[:limit])
    return {str(term): column for column, term in enumerate(terms[kept].tolist())}


def _lexicon_rows(docs: Sequence[Normalised]) -> FloatArray:
    """Per text: normalised positive and negative valence sums, their balance, presence."""
    valences = np.fromiter(chain.from_iterable(doc.valences for doc in docs), dtype=np.float64)
    row = _rows_of(doc.valences for doc in docs)
    up, down = valences > 0, valences < 0
    # Each sum from zero in text order, as Python's sum adds; 0.0 - x keeps an empty one +0.0.
    positive = np.bincount(row[up], weights=valences[up], minlength=len(docs))
    negative = 0.0 - np.bincount(row[down], weights=valences[down], minlength=len(docs))
    scores = (positive, negative, positive - negative)
    rows = np.stack([*map(_squash, scores), positive > 0, negative > 0], axis=1)
    return rows.astype(np.float32)


def _squash(score: FloatArray) -> FloatArray:
    """VADER's normalisation of valence sums into -1..1."""
    squashed: FloatArray = score / np.sqrt(score * score + 15.0)
    return squashed
