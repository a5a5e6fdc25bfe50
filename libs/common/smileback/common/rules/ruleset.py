"""Many named rules, one text: an index picks the rules the text could satisfy, and each of
those is evaluated by its own CompiledRule, so the answer is exactly that of asking every rule.

For each rule the index holds a set of keys such that a text satisfying the rule holds at
least one of them:

- a positive @handle or #tag term needs that token among the text's tokens (`tokens`);
- a positive word or phrase term needs one of its runs of word characters among the text's
  runs, folded as the regex engine compares them (`smileback.common.rules.keys`); of its runs
  the one fewest other rules use is taken, so "coffee" in "acme coffee" does not wake every
  coffee brand;
- a negated term needs nothing: it is satisfied by absence;
- AND needs what any one of its children needs (all of them hold): the child with the fewest
  keys is taken; OR needs the union of its children's keys (any one may hold); NOT swaps the
  two (De Morgan).

A rule whose need is "nothing" (a pure NOT rule, `a OR NOT b`) is evaluated for every text;
the rest only when the text holds one of their keys. The keys are necessary, not sufficient,
which is why every candidate is then evaluated exactly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from smileback.common.rules.keys import run_keys, text_keys
from smileback.common.rules.matching import CompiledRule, positive_terms
from smileback.common.rules.syntax import And, Node, Not, Term, TermKind
from smileback.common.rules.tokens import tokens

__all__ = ["RuleSet"]

_TOKENS = (TermKind.HANDLE, TermKind.TAG)
# A rule's keys, or None: a text can satisfy the rule without holding any key.
_Need = frozenset[str] | None


class RuleSet:
    """Named compiled rules (e.g. one per brand), matched together against one text."""

    def __init__(self, rules: Mapping[str, CompiledRule]) -> None:
        self._names = tuple(rules)
        self._rules = tuple(rules.values())
        uses = Counter(key for rule in self._rules for key in _rule_keys(rule.tree))
        index: dict[str, list[int]] = {}
        always: list[int] = []
        for i, rule in enumerate(self._rules):
            need = _need(rule.tree, negated=False, uses=uses)
            if need is None:
                always.append(i)
            for key in need or ():
                index.setdefault(key, []).append(i)
        self._index = {key: tuple(ids) for key, ids in index.items()}
        self._always = tuple(always)
        self._tokens = any(key[0] in "@#" for key in self._index)

    @property
    def names(self) -> tuple[str, ...]:
        """The rules' names, in the order given."""
        return self._names

    def __len__(self) -> int:
        return len(self._rules)

    def match(self, *, text: str) -> tuple[str, ...]:
        """The names of the rules the text satisfies, in the order given."""
        found = tokens(text) if self._tokens else frozenset()
        return tuple(
            self._names[i]
            for i in self._candidates(text_keys(text), found)
            if self._rules[i].matches(text=text)
        )

    def first(self, *, text: str) -> str | None:
        """The name of the first rule (in the order given) the text satisfies, or None: the
        first of `match`, without evaluating the rules after it."""
        # Tokens and keys once, for the index and every candidate.
        found, keys = tokens(text), text_keys(text)
        for i in self._candidates(keys, found):
            if self._rules[i].matches_known(text=text, text_tokens=found, text_keys=keys):
                return self._names[i]
        return None

    def explain(self, *, text: str) -> dict[str, tuple[Term, ...]]:
        """For each rule the text satisfies, the positive terms that occur in it."""
        named = dict(zip(self._names, self._rules, strict=True))
        return {name: named[name].matched_terms(text=text) for name in self.match(text=text)}

    def _candidates(self, keys: frozenset[str] | None, found: frozenset[str]) -> Iterable[int]:
        """Of a text with these `text_keys` and `tokens` (which may be left empty when the
        index holds none), the rules worth evaluating, in order."""
        if keys is None:
            return range(len(self._rules))
        if found:
            keys = keys | found  # runs never start with @ or #, so the two never collide
        hits = set(self._always)
        for key in self._index.keys() & keys:
            hits.update(self._index[key])
        return sorted(hits)


def _rule_keys(tree: Node) -> set[str]:
    """Every key a rule's positive terms could be indexed under, each once per rule."""
    return {key for term in positive_terms(tree) for key in _term_keys(term)}


def _term_keys(term: Term) -> tuple[str, ...]:
    return (term.value,) if term.kind in _TOKENS else run_keys(term.value)


def _need(node: Node, *, negated: bool, uses: Counter[str]) -> _Need:
    if isinstance(node, Term):
        if negated:
            return None
        keys = _term_keys(node)
        # A word or phrase of no word characters ("++") has no key to wait for.
        return frozenset({min(keys, key=lambda k: (uses[k], -len(k)))}) if keys else None
    if isinstance(node, Not):
        return _need(node.child, negated=not negated, uses=uses)
    needs = [_need(child, negated=negated, uses=uses) for child in node.children]
    if isinstance(node, And) != negated:  # every child holds: one child's keys suffice
        known = [need for need in needs if need is not None]
        return min(known, key=lambda n: (len(n), sum(uses[k] for k in n))) if known else None
    if any(need is None for need in needs):  # any child may hold: all their keys are needed
        return None
    return frozenset().union(*(need for need in needs if need is not None))
