"""Evaluate a rule against a mention's text.

Words and phrases match case-insensitively on word boundaries ("acme" matches "Acme's"
but not "acmes", never the inside of an @handle or #tag); an @handle or #tag matches a
whole @handle or #tag token of the text, case-insensitively ("@acme" matches "@ACME!" but
not "@acme_fan", "@acme.bsky.social" or "x@acme").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from smileback.common.rules.syntax import And, Node, Not, Term, TermKind, parse_rule
from smileback.common.rules.tokens import tokens

__all__ = ["CompiledRule", "compile_rule", "compile_tree", "positive_terms"]

_TEXTUAL = (TermKind.WORD, TermKind.PHRASE)


@dataclass(frozen=True)
class CompiledRule:
    """A rule tree with a regex per word or phrase, ready to match many texts."""

    tree: Node
    _patterns: dict[Term, re.Pattern[str]] = field(default_factory=dict, repr=False)
    _needs_tokens: bool = field(default=False, repr=False)

    def matches(self, *, text: str) -> bool:
        """True when the text satisfies the rule."""
        # Rules of words and phrases only (most brand term lists) skip the tokeniser.
        found = tokens(text) if self._needs_tokens else frozenset()
        return self._eval(self.tree, text=text, found=found)

    def matched_terms(self, *, text: str) -> tuple[Term, ...]:
        """The rule's positive terms (under no NOT, or an even number) that occur in the text,
        in rule order, each once: what made a matching text match."""
        found = tokens(text) if self._needs_tokens else frozenset()
        positive = dict.fromkeys(positive_terms(self.tree))
        return tuple(term for term in positive if self._has(term, text=text, found=found))

    def _has(self, term: Term, *, text: str, found: frozenset[str]) -> bool:
        if term.kind in _TEXTUAL:
            return self._patterns[term].search(text) is not None
        return term.value in found

    def _eval(self, node: Node, *, text: str, found: frozenset[str]) -> bool:
        if isinstance(node, Term):
            return self._has(node, text=text, found=found)
        if isinstance(node, Not):
            return not self._eval(node.child, text=text, found=found)
        if isinstance(node, And):
            return all(self._eval(c, text=text, found=found) for c in node.children)
        return any(self._eval(c, text=text, found=found) for c in node.children)


def compile_rule(text: str) -> CompiledRule:
    """Parse and compile a rule; RuleSyntaxError as parse_rule raises it."""
    return compile_tree(parse_rule(text))


def compile_tree(tree: Node) -> CompiledRule:
    """Compile a tree built in code (e.g. a brand's configured terms as one OR)."""
    terms = _terms(tree)
    return CompiledRule(
        tree=tree,
        _patterns={term: _pattern(term) for term in terms if term.kind in _TEXTUAL},
        _needs_tokens=any(term.kind not in _TEXTUAL for term in terms),
    )


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
