"""The vocabularies as arrays, so numpy finds a whole batch's n-grams at once.

`VocabularyLookup` numbers the word block's tokens and the char block's characters and
holds a `GramIndex` per block; `SocialFeatures` derives it from its vocabularies after
loading or fitting, and never stores it.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count, repeat
from typing import Any

import numpy as np

__all__ = ["GramIndex", "IntArray", "VocabularyLookup", "code_points", "ints"]

IntArray = np.ndarray[Any, np.dtype[np.int64]]


class GramIndex:
    """The n-grams of a vocabulary over numbered symbols (tokens, characters), as arrays.

    Symbols are numbered 0..K-1. A 1-gram's rank is its symbol; an n-gram's key is its
    (n-1)-gram prefix's rank times K plus its last symbol, and its rank the place of
    that key among the sorted keys of the n-grams the vocabulary holds or starts with.
    Each rank has the n-gram's vocabulary column, -1 for a prefix that is not a term.
    """

    def __init__(self, symbols: IntArray, lengths: IntArray, columns: IntArray, *, k: int) -> None:
        """Index the terms whose symbols, run together, are `symbols`."""
        self.k = k
        starts = np.cumsum(lengths) - lengths
        self.unigram = np.full(k + 1, -1, dtype=np.int64)  # [-1] answers an unknown symbol
        self.unigram[symbols[starts[lengths == 1]]] = columns[lengths == 1]
        self.levels: list[_Level] = []
        ranks = symbols[starts]
        prefixes = k
        for size in range(2, int(lengths.max(initial=0)) + 1):
            alive = lengths >= size
            keys = ranks[alive] * k + symbols[starts[alive] + size - 1]
            kept, ranks_alive = np.unique(keys, return_inverse=True)
            ranks = np.full(len(lengths), -1, dtype=np.int64)
            ranks[alive] = ranks_alive
            found = np.full(len(kept) + 1, -1, dtype=np.int64)  # [-1] answers rank -1
            whole = lengths == size
            found[ranks[whole]] = columns[whole]
            self.levels.append(_Level.of(kept, found, space=prefixes * k))
            prefixes = len(kept)

    def find(self, symbols: IntArray, segments: IntArray) -> tuple[IntArray, IntArray]:
        """(segment, column) of every term occurring in `symbols` within one segment.

        `symbols` holds -1 for a symbol the vocabulary does not know; `segments` numbers
        the run of symbols (a doc, a word) each belongs to, in order.
        """
        found_segments = [segments]
        found_columns = [self.unigram[symbols]]
        ranks = symbols
        for gap, level in enumerate(self.levels, start=1):
            prefix, last = ranks[:-1], symbols[gap:]
            known = (prefix >= 0) & (last >= 0) & (segments[:-gap] == segments[gap:])
            ranks = level.ranks(prefix * self.k + last, known)
            found_segments.append(segments[:-gap])
            found_columns.append(level.columns[ranks])
        every = np.concatenate(found_columns)
        hit = every >= 0
        return np.concatenate(found_segments)[hit], every[hit]


@dataclass(frozen=True)
class _Level:
    """The n-grams of one size: how a key finds its rank, and each rank's column."""

    keys: IntArray  # sorted
    table: np.ndarray[Any, np.dtype[np.int32]]  # key -> rank or -1; empty if too large
    columns: IntArray  # rank -> vocabulary column or -1; [-1] is -1

    _TABLE_LIMIT = 1 << 21  # a level whose keys are all below this gets a table (8 MB at most)

    @classmethod
    def of(cls, keys: IntArray, columns: IntArray, *, space: int) -> _Level:
        """The level of sorted `keys`, all below `space`."""
        table = np.full(space if space <= cls._TABLE_LIMIT else 0, -1, dtype=np.int32)
        if len(table):
            table[keys] = np.arange(len(keys), dtype=np.int32)
        return cls(keys, table, columns)

    def ranks(self, query: IntArray, known: np.ndarray[Any, np.dtype[np.bool_]]) -> IntArray:
        """The rank of each key of `query`, -1 where not `known` or not found."""
        if len(self.table):  # a lookup rather than a binary search: most levels fit
            return np.where(known, self.table[np.where(known, query, 0)], -1).astype(np.int64)
        # Searching in key order keeps each search near the last: twice as fast.
        order = np.argsort(query)
        at = np.empty(len(query), dtype=np.int64)
        at[order] = np.searchsorted(self.keys, query[order])
        return np.where(known & (self.keys.take(at, mode="clip") == query), at, -1)


@dataclass(frozen=True)
class VocabularyLookup:
    """Both vocabularies as `GramIndex`es, with what numbers their symbols."""

    word_vocabulary: dict[str, int]
    char_vocabulary: dict[str, int]
    token_ids: dict[str, int]
    words: GramIndex
    alphabet: IntArray  # sorted code points of the char vocabulary; a symbol is its place
    chars: GramIndex

    @classmethod
    def of(
        cls, *, word_vocabulary: dict[str, int], char_vocabulary: dict[str, int]
    ) -> VocabularyLookup:
        """Index both vocabularies."""
        # A term's tokens are separated by single spaces; all terms' tokens at once, in C.
        tokens = " ".join(word_vocabulary).split(" ") if word_vocabulary else []
        token_ids = dict(zip(dict.fromkeys(tokens), count()))
        words = GramIndex(
            ints(list(map(token_ids.__getitem__, tokens))),
            ints(list(map(str.count, word_vocabulary, repeat(" ")))) + 1,
            ints(list(word_vocabulary.values())),
            k=len(token_ids),
        )
        alphabet, spelled = np.unique(code_points("".join(char_vocabulary)), return_inverse=True)
        chars = GramIndex(
            spelled,
            ints(list(map(len, char_vocabulary))),
            ints(list(char_vocabulary.values())),
            k=len(alphabet),
        )
        return cls(word_vocabulary, char_vocabulary, token_ids, words, alphabet, chars)

    def character_ids(self, text: str) -> IntArray:
        """The symbol of each character of `text`, -1 where the char vocabulary has none."""
        points = code_points(text)
        if not len(self.alphabet):
            return np.full(len(points), -1, dtype=np.int64)
        at = np.searchsorted(self.alphabet, points)
        return np.where(self.alphabet.take(at, mode="clip") == points, at, -1)


def code_points(text: str) -> IntArray:
    """The code point of each character (lone surrogates included, as Python counts them)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(
        np.int64
    )


def ints(values: list[int]) -> IntArray:
    """A list of ints as an int64 array."""
    return np.fromiter(values, dtype=np.int64, count=len(values))
