"""Brand rules: which brand a mention is about.

A brand's configured terms are one OR rule of the brand-rule language
(`smileback.common.rules`), compiled once: a brand matches when any of its terms occurs
in the text. The brands are matched together through a RuleSet, which answers exactly as
trying each in turn would. A plain word or phrase matches case-insensitively on word
boundaries ("acme" matches "Acme's" but not "acmes", and never the inside of an @handle
or #tag); an @handle or #tag term matches a whole @handle or #tag token of the text,
case-insensitively ("@acmecoffee" matches "@AcmeCoffee!" but not "@acmecoffee_fan" or
"@acmecoffee.bsky.social"). A term is taken literally, never parsed as an operator, quote
or parenthesis.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from smileback.common.errors import ConfigError
from smileback.common.events import Mention
from smileback.common.rules import (
    CompiledRule,
    Or,
    RuleSet,
    RuleSyntaxError,
    Term,
    compile_tree,
    term_of,
)

__all__ = ["BrandMatcher", "BrandRule", "Matcher", "merge_rules"]


@dataclass(frozen=True)
class BrandRule:
    """One brand's terms, compiled as one OR rule."""

    brand: str
    rule: CompiledRule

    @classmethod
    def of(cls, *, brand: str, terms: Sequence[str]) -> BrandRule:
        """Compile a brand's terms, refusing empty or malformed ones."""
        parsed: list[Term] = []
        for term in terms:
            if not term.strip():
                raise ConfigError(f"brand {brand!r}: empty match term")
            try:
                parsed.append(term_of(term))
            except RuleSyntaxError:
                # term_of refuses a non-empty term only for a malformed @handle or #tag.
                raise ConfigError(
                    f"brand {brand!r}: {term!r} is not a valid @handle or #tag"
                ) from None
        if not parsed:
            raise ConfigError(f"brand {brand!r} has no match terms")
        tree = parsed[0] if len(parsed) == 1 else Or(tuple(parsed))
        return cls(brand=brand, rule=compile_tree(tree))

    def matches(self, *, text: str) -> bool:
        """True when any term of the brand occurs in `text`."""
        return self.rule.matches(text=text)


def merge_rules(first: Sequence[BrandRule], then: Sequence[BrandRule]) -> tuple[BrandRule, ...]:
    """`first`'s brands in their order, each with its rules of `then` right after its own;
    then the brands only `then` has, in its order. A brand matches when any of its rules does,
    and the first brand with a matching rule names the mention."""
    by_brand: dict[str, list[BrandRule]] = {}
    for rule in (*first, *then):
        by_brand.setdefault(rule.brand, []).append(rule)
    return tuple(rule for rules in by_brand.values() for rule in rules)


class Matcher(ABC):
    """What sources match mentions with: a fixed BrandMatcher, or one that follows live rules.

    Contract: `brands` empty means every mention passes with the brand it has; otherwise
    `match` names the mention's brand or None (the mention is about no monitored brand).
    """

    @property
    @abstractmethod
    def brands(self) -> tuple[str, ...]:
        """The brands matched, in match order."""

    @abstractmethod
    def match(self, *, mention: Mention) -> str | None:
        """The mention's brand, or None."""

    @abstractmethod
    def snapshot(self) -> BrandMatcher:
        """The rules in force now, fixed: ask `brands` and `match` of one mention of it, so
        both answers come from the same set even when live rules change in between."""


class BrandMatcher(Matcher):
    """Assigns a brand to each mention from configured rules, first rule first."""

    def __init__(self, rules: Sequence[BrandRule]) -> None:
        self._rules = tuple(rules)
        # Asked for every unmatched mention: built once (a brand may have several rules).
        self._brands = tuple(dict.fromkeys(rule.brand for rule in self._rules))
        # Named by position: a brand with several rules (terms, live rules) keeps each in place.
        self._set = RuleSet({str(i): rule.rule for i, rule in enumerate(self._rules)})

    @classmethod
    def from_terms(cls, brands: Mapping[str, Sequence[str]]) -> BrandMatcher:
        """Build a matcher from brand -> terms (IngestSettings.brands); ConfigError if invalid."""
        return cls([BrandRule.of(brand=brand, terms=terms) for brand, terms in brands.items()])

    def snapshot(self) -> BrandMatcher:
        return self

    @property
    def rules(self) -> tuple[BrandRule, ...]:
        """The rules, in match order."""
        return self._rules

    @property
    def brands(self) -> tuple[str, ...]:
        """The configured brands, in match order (empty: every mention passes as it is)."""
        return self._brands

    def match(self, *, mention: Mention) -> str | None:
        """The mention's brand: the one it already has, else the first brand whose terms occur."""
        if mention.brand is not None or not self._rules:
            return mention.brand
        first = self._set.first(text=mention.text)
        return None if first is None else self._rules[int(first)].brand
