"""Evaluate a rule against a mention's text.

Words and phrases match case-insensitively on word boundaries ("acme" matches "Acme's"
but not "acmes", never the inside of an @handle or #tag); an @handle or #tag matches a
whole @handle or #tag token of the text, case-insensitively ("@acme" matches "@ACME!" but
not "@acme_fan", "@acme.bsky.social" or "x@acme").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from smileback.common.rules.keys import run_keys
from smileback.common.rules.syntax import And, Node, Not, Term, TermKind, parse_rule
from smileback.common.rules.tokens import tokens

__all__ = ["CompiledRule", "compile_rule", "compile_tree", "positive_terms"]

_TEXTUAL = (TermKind.WORD, TermKind.PHRASE)
_NO_TOKENS: frozenset[str] = frozenset()

# A rule tree as nested closures over (text, its tokens, its keys or None when not known):
# ingest evaluates rules for every mention, and calling closures costs a fraction of walking
# the tree with isinstance checks.
_Test = Callable[[str, frozenset[str], frozenset[str] | None], bool]


@dataclass(frozen=True)
class CompiledRule:
    """A rule tree with a regex per word or phrase, ready to match many texts (built by
    `compile_rule` or `compile_tree`)."""

    tree: Node
    _patterns: dict[Term, re.Pattern[str]] = field(repr=False)
    _needs_tokens: bool = field(repr=False)
    _test: _Test = field(repr=False, compare=False)

    def matches(self, *, text: str) -> bool:
        """True when the text satisfies the rule."""
        # Rules of words and phrases only (most brand term lists) skip the tokeniser.
        return self._test(text, tokens(text) if self._needs_tokens else _NO_TOKENS, None)

    def matches_known(
        self, *, text: str, text_tokens: frozenset[str], text_keys: frozenset[str] | None
    ) -> bool:
        """`matches`, for a caller that already holds the text's `tokens` and `text_keys`
        (a RuleSet, for its candidates). With the keys, a word or phrase one of whose runs is
        not among them is known absent without a regex search (see `rules.keys`)."""
        return self._test(text, text_tokens, text_keys)

    def matched_terms(self, *, text: str) -> tuple[Term, ...]:
        """The rule's positive terms (under no NOT, or an even number) that occur in the text,
        in rule order, each once: what made a matching text match."""
        found = tokens(text) if self._needs_tokens else _NO_TOKENS
        positive = dict.fromkeys(positive_terms(self.tree))
        return tuple(term for term in positive if self._has(term, text=text, found=found))

    def _has(self, term: Term, *, text: str, found: frozenset[str]) -> bool:
        if term.kind in _TEXTUAL:
            return self._patterns[term].search(text) is not None
        return term.value in found


def compile_rule(text: str) -> CompiledRule:
    """Parse and compile a rule; RuleSyntaxError as parse_rule raises it."""
    return compile_tree(parse_rule(text))


def compile_tree(tree: Node) -> CompiledRule:
    """Compile a tree built in code (e.g. a brand's configured terms as one OR)."""
    terms = _terms(tree)
    patterns = {term: _pattern(term) for term in terms if term.kind in _TEXTUAL}
    return CompiledRule(
        tree=tree,
        _patterns=patterns,
        _needs_tokens=any(term.kind not in _TEXTUAL for term in terms),
        _test=_test_of(tree, patterns),
    )


def _test_of(node: Node, patterns: dict[Term, re.Pattern[str]]) -> _Test:
    if isinstance(node, Term):
        if node.kind in _TEXTUAL:
            return _has_text(patterns[node].search, frozenset(run_keys(node.value)))
        value = node.value
        return lambda text, found, keys: value in found
    if isinstance(node, Not):
        child = _test_of(node.child, patterns)
        return lambda text, found, keys: not child(text, found, keys)
    children = tuple(_test_of(c, patterns) for c in node.children)
    if isinstance(node, And):

        def every(text: str, found: frozenset[str], keys: frozenset[str] | None) -> bool:
            for child in children:  # noqa: SIM110 - all() would build a generator per call
                if not child(text, found, keys):
                    return False
            return True

        return every

    def some(text: str, found: frozenset[str], keys: frozenset[str] | None) -> bool:
        for child in children:  # noqa: SIM110 - as above
            if child(text, found, keys):
                return True
        return False

    return some


def _has_text(search: Callable[[str], object], runs: frozenset[str]) -> _Test:
    def has(text: str, found: frozenset[str], keys: frozenset[str] | None) -> bool:
        # The term's runs are keys the text must hold for it to match (`rules.keys`); most
        # terms a text is asked about are absent, and a set lookup says so far faster.
        if keys is not None and not runs <= keys:
            return False
        return search(text) is not None

    return has


def _pattern(term: Term) -> re.Pattern[str]:
    words = r"\s+".join(re.escape(part) for part in term.value.split())
    return re.compile(rf"(?<![\w@#]){words}(?!\w)", re.IGNORECASE)


def _terms(node: Node) -> list[Term]:
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Not):
        return _terms(node.child)
    return [term for child in node.children for term in _terms(child)]


def positive_terms(node: Node, *, negated: bool = False) -> list[Term]:
    """The terms of a tree that count for it when present: under an even number of NOTs."""
    if isinstance(node, Term):
        return [] if negated else [node]
    if isinstance(node, Not):
        return positive_terms(node.child, negated=not negated)
    return [term for child in node.children for term in positive_terms(child, negated=negated)]
