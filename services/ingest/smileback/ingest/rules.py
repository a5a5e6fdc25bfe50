"""Brand rules: which brand a mention is about.

Minimal for now: a brand matches when any of its terms occurs in the text. A plain
word or phrase matches case-insensitively on word boundaries ("acme" matches
"Acme's" but not "acmes", and never the inside of an @handle or #tag); an @handle
or #tag term matches a whole @handle or #tag token of the text, case-insensitively
("@acmecoffee" matches "@AcmeCoffee!" but not "@acmecoffee_fan" or
"@acmecoffee.bsky.social"). Boolean queries (AND/OR/NOT) will replace the terms
behind the same `match` method.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from smileback.common.errors import ConfigError
from smileback.common.events import Mention

__all__ = ["BrandMatcher", "BrandRule"]

# An @handle or #tag token: a sigil not glued to a preceding word, then word characters,
# possibly joined by dots, dashes or @ (mastodon "@name@host", bluesky "@name.bsky.social").
_TOKEN = re.compile(r"(?<![\w@#])[@#]\w(?:[\w.@-]*\w)?")


@dataclass(frozen=True)
class BrandRule:
    """One brand's terms, compiled."""

    brand: str
    tokens: frozenset[str]
    words: re.Pattern[str] | None

    @classmethod
    def of(cls, *, brand: str, terms: Sequence[str]) -> BrandRule:
        """Compile a brand's terms, refusing empty or malformed ones."""
        tokens: set[str] = set()
        phrases: list[str] = []
        for term in terms:
            cleaned = term.strip()
            if cleaned[:1] in ("@", "#"):
                if _TOKEN.fullmatch(cleaned) is None:
                    raise ConfigError(f"brand {brand!r}: {term!r} is not a valid @handle or #tag")
                tokens.add(cleaned.lower())
            elif cleaned:
                phrases.append(r"\s+".join(re.escape(part) for part in cleaned.split()))
            else:
                raise ConfigError(f"brand {brand!r}: empty match term")
        if not tokens and not phrases:
            raise ConfigError(f"brand {brand!r} has no match terms")
        words = (
            re.compile(rf"(?<![\w@#])(?:{'|'.join(phrases)})(?!\w)", re.IGNORECASE)
            if phrases
            else None
        )
        return cls(brand=brand, tokens=frozenset(tokens), words=words)

    def matches(self, *, text: str) -> bool:
        """True when any term of the brand occurs in `text`."""
        if self.words is not None and self.words.search(text):
            return True
        return bool(self.tokens) and any(
            token.lower() in self.tokens for token in _TOKEN.findall(text)
        )


class BrandMatcher:
    """Assigns a brand to each mention from configured terms, first brand first."""

    def __init__(self, rules: Sequence[BrandRule]) -> None:
        self._rules = tuple(rules)

    @classmethod
    def from_terms(cls, brands: Mapping[str, Sequence[str]]) -> BrandMatcher:
        """Build a matcher from brand -> terms (e.g. Settings.brands); ConfigError if invalid."""
        return cls([BrandRule.of(brand=brand, terms=terms) for brand, terms in brands.items()])

    @property
    def brands(self) -> tuple[str, ...]:
        """The configured brands, in match order (empty: every mention passes as it is)."""
        return tuple(rule.brand for rule in self._rules)

    def match(self, *, mention: Mention) -> str | None:
        """The mention's brand: the one it already has, else the first brand whose terms occur."""
        if mention.brand is not None or not self._rules:
            return mention.brand
        return next((r.brand for r in self._rules if r.matches(text=mention.text)), None)
