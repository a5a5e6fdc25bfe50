"""Whether a mention speaks to a brand, and whether it thanks it. Pure.

A mention is addressed to a brand when it tags one of the brand's accounts (`@<name>` or a
policy handle). Otherwise, when it tags any other account, it speaks to that account (a
reply or a hello to someone else): naming the brand there is talking about it, not to it.
With no account tagged at all, `#<name>` or the brand's name in words addresses the brand,
unless the name only appears as a place ("at", "in", "near", "from" ... "the Acme Coffee
on Elm St"): "see you at Acme Coffee" is about a meeting, not to the brand.

Every test is a rule of the brand-rule language (`smileback.common.rules`), compiled once
per brand and set of handles: the name as a word or phrase matches "Acme's", "@ACME" and
"#acme" but not "acmetools", "@acmehelpdesk" or "x@acme"; a handle matches a whole @handle
token only, so "@acme.bsky.social", "@acme@host" and "@acme-uk" are other accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from smileback.common.rules import (
    And,
    CompiledRule,
    Node,
    Not,
    Or,
    compile_rule,
    compile_tree,
    is_token,
    term_of,
    tokens,
)

__all__ = ["Addressee", "addressee", "thanks"]

# Words that put a place before a name ("at the Acme Coffee on Elm St"), each alone or
# with a determiner after it.
_PLACE_WORDS = ("at", "in", "inside", "outside", "near", "from", "into", "by")
_DETERMINERS = ("", "the ", "my ", "our ", "your ", "this ", "that ", "a ", "an ")

# Gratitude, unless it is the sarcastic kind.
_THANKS = compile_rule(
    "(thanks OR thank OR thx OR appreciate OR appreciated OR grateful OR kudos) AND NOT "
    '("thanks for nothing" OR "thank you for nothing" OR "no thanks" OR "thanks a lot for nothing")'
)


def thanks(text: str) -> bool:
    """True when `text` says thank you (and not "thanks for nothing")."""
    return _THANKS.matches(text=text)


@dataclass(frozen=True)
class Addressee:
    """One brand's addressee test: its own @handles (lower-cased, as `tokens` gives them)
    and the rule that addresses it when no account is tagged."""

    own_handles: frozenset[str]
    untagged: CompiledRule

    def addressed_by(self, text: str) -> bool:
        """True when `text` speaks to the brand (see the module's docstring)."""
        handles = {token for token in tokens(text) if token.startswith("@")}
        if handles:
            return not handles.isdisjoint(self.own_handles)
        return self.untagged.matches(text=text)


@lru_cache(maxsize=1024)
def addressee(brand: str, handles: tuple[str, ...]) -> Addressee:
    """The addressee test of `brand` with its policy's `handles`, compiled once per pair."""
    name = brand.strip()
    own = [text for text in (f"@{name}", *handles) if is_token(text)]
    tag = f"#{name}"
    # BrandPolicy accepts only handles that are one token each, so term_of cannot refuse them.
    said: list[Node] = [term_of(tag)] if is_token(tag) else []
    if name:
        places = [term_of(f"{word} {det}{name}") for word in _PLACE_WORDS for det in _DETERMINERS]
        said.append(And((term_of(name), Not(Or(tuple(places))))))
    return Addressee(
        own_handles=frozenset(text.lower() for text in own),
        untagged=compile_tree(Or(tuple(said))),  # no name at all: an empty OR, addressed to no one
    )
