"""Index keys fold runs exactly as the regex engine compares characters, over all of Unicode."""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable, Mapping

import pytest

from smileback.common.rules.keys import fold, run_keys, text_keys

_WORD = re.compile(r"\w")
# The regex engine's internals, which have no stubs: its own lower-casing (what IGNORECASE
# compares) and its extra equivalences (long s and s, ...). Checking against them, rather than
# against a copy, is what catches a Python upgrade that changes either.
_tolower: Callable[[int], int] = importlib.import_module("_sre").unicode_tolower
_EXTRA_CASES: Mapping[int, tuple[int, ...]] = importlib.import_module("re._casefix")._EXTRA_CASES


def _engine_classes() -> dict[int, list[str]]:
    """Every code point, grouped as IGNORECASE treats them: the same lower case, or extras."""
    classes: dict[int, list[str]] = {}
    for point in range(sys.maxunicode + 1):
        if 0xD800 <= point <= 0xDFFF:
            continue  # surrogates are never in a decoded text
        lower = _tolower(point)
        key = min((lower, *_EXTRA_CASES.get(lower, ())))
        classes.setdefault(key, []).append(chr(point))
    return classes


@pytest.fixture(scope="module")
def engine_classes() -> dict[int, list[str]]:
    return _engine_classes()


def test_characters_the_engine_equates_fold_to_one_key(
    engine_classes: dict[int, list[str]],
) -> None:
    split = [m for m in engine_classes.values() if len({fold(c) for c in m}) > 1]
    assert split == []


def test_only_u0345_is_equated_with_a_word_character_without_being_one(
    engine_classes: dict[int, list[str]],
) -> None:
    mixed = {
        char
        for members in engine_classes.values()
        if len({bool(_WORD.match(c)) for c in members}) > 1
        for char in members
        if not _WORD.match(char)
    }
    assert mixed == {"\u0345"}


def test_fold_joins_the_engines_special_cases() -> None:
    assert fold("\u0130STANBUL") == fold("istanbul")
    assert fold("\u017fale") == fold("SALE") == "sale"
    assert fold("\u212aELVIN") == fold("kelvin")  # the Kelvin sign
    assert fold("\u03c2") == fold("\u03c3") == fold("\u03a3")


def test_a_terms_keys_are_its_runs_of_word_characters_once_each() -> None:
    assert run_keys("Acme's acme-Coffee") == ("acme", "s", "coffee")
    assert run_keys("c++") == ("c",)
    assert run_keys("++") == ()
    assert run_keys("a\u0345b") == ()


def test_a_texts_keys_are_its_folded_runs_unless_it_holds_u0345() -> None:
    assert text_keys("Hi @Acme, ACME's #coffee!") == frozenset({"hi", "acme", "s", "coffee"})
    assert text_keys("\u0130stanbul \u017fale") == frozenset({"istanbul", "sale"})
    assert text_keys("a\u0345b") is None
