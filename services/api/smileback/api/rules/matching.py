"""Evaluate a parsed rule against a mention's text, with the ingest rules' term semantics.

Words and phrases match case-insensitively on word boundaries ("acme" matches "Acme's"
but not "acmes", never the inside of an @handle or #tag); an @handle or #tag matches a
whole @handle or #tag token of the text, case-insensitively.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from smileback.api.rules.syntax import And, Node, Not, Term, TermKind, parse_rule

__all__ = ["CompiledRule", "compile_rule"]

_TOKEN = re.compile(r"(?<![\w@#])[@#]\w(?:[\w.@-]*\w)?")


@dataclass(frozen=True)
class CompiledRule:
    """A parsed rule with a regex per word or phrase, ready to match many texts."""

    tree: Node
    _patterns: dict[Term, re.Pattern[str]] = field(default_factory=dict, repr=False)

    def matches(self, *, text: str) -> bool:
        """True when the text satisfies the rule."""
        tokens = {token.lower() for token in _TOKEN.findall(text)}
        return self._eval(self.tree, text=text, tokens=tokens)

    def _eval(self, node: Node, *, text: str, tokens: set[str]) -> bool:
        if isinstance(node, Term):
            if node.kind in (TermKind.HANDLE, TermKind.TAG):
                return node.value in tokens
            return self._patterns[node].search(text) is not None
        if isinstance(node, Not):
            return not self._eval(node.child, text=text, tokens=tokens)
        if isinstance(node, And):
            return all(self._eval(c, text=text, tokens=tokens) for c in node.children)
        return any(self._eval(c, text=text, tokens=tokens) for c in node.children)


def compile_rule(text: str) -> CompiledRule:
    """Parse and compile a rule; RuleSyntaxError as parse_rule raises it."""
    tree = parse_rule(text)
    patterns = {term: _pattern(term) for term in _terms(tree) if term.kind in _TEXTUAL}
    return CompiledRule(tree=tree, _patterns=patterns)


_TEXTUAL = (TermKind.WORD, TermKind.PHRASE)


def _pattern(term: Term) -> re.Pattern[str]:
    words = r"\s+".join(re.escape(part) for part in term.value.split())
    return re.compile(rf"(?<![\w@#]){words}(?!\w)", re.IGNORECASE)


def _terms(node: Node) -> list[Term]:
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Not):
        return _terms(node.child)
    return [term for child in node.children for term in _terms(child)]
