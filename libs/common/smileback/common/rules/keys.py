"""Index keys: the runs of word characters a word or phrase term cannot match without.

A word or phrase term matches (`smileback.common.rules.matching`) only where the text's
characters equal the term's case-insensitively, after a character that is not a word
character, @ or #, and before one that is not a word character. So each maximal run of
word characters (`\\w+`) inside the term lines up with a maximal run of the text, equal to it
case-insensitively: the characters around a run are either non-word characters of the term,
the whitespace between its words, or the term's boundaries. Folding both runs the way the
regex engine compares characters turns that into a set lookup: a term whose run's key is
not among the text's keys cannot match. The converse need not hold; the index only selects
which rules to evaluate.

One exception: U+0345 (the combining iota subscript) is not a word character, yet the regex
engine treats it as equal to the Greek iota, which is one. A text holding it gives no keys
(`None`: evaluate every rule) and a term holding it gives none (it is never a key).
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["fold", "run_keys", "text_keys"]

_RUN = re.compile(r"\w+")
# Not a word character, but equal under IGNORECASE to one (checked against the regex engine
# over every code point in tests/common/rules/test_keys.py).
_WORD_LIKE = "\u0345"


def fold(run: str) -> str:
    """A key for `run`: equal for any two runs the regex engine matches case-insensitively."""
    return run.lower() if run.isascii() else "".join(map(_fold_char, run))


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    # The regex engine lower-cases with the one-character mapping, which for U+0130 (capital I
    # with a dot) is "i", where str.lower gives "i" and a combining dot; upper-then-lower then
    # joins the engine's extra equivalences (long s and s, dotless i and i, final and medial
    # sigma, micro sign and mu, ...) into one key.
    lower = "i" if char == "\u0130" else char.lower()
    return lower.upper().lower()


def run_keys(term_text: str) -> tuple[str, ...]:
    """The keys of a word or phrase term's runs, each once in order (none for U+0345)."""
    if _WORD_LIKE in term_text:
        return ()
    return tuple(dict.fromkeys(fold(run) for run in _RUN.findall(term_text)))


def text_keys(text: str) -> frozenset[str] | None:
    """The keys of every run of `text`; None when the text holds U+0345 (see above)."""
    if text.isascii():
        return frozenset(_RUN.findall(text.lower()))
    if _WORD_LIKE in text:
        return None
    runs = _RUN.findall(text)
    joined = " ".join(runs)
    if joined.isascii():  # non-ASCII only between the runs (an emoji, say): fold all at once
        return frozenset(joined.lower().split())
    return frozenset(map(fold, runs))
