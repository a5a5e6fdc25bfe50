"""The one @handle / #tag tokeniser: what the rule language accepts as a handle or tag term,
and what it finds as one in a mention's text.

A token is a sigil not glued to a preceding word, then word characters, possibly joined by
dots, dashes or @ (mastodon "@name@host", bluesky "@name.bsky.social").
"""

from __future__ import annotations

import re

__all__ = ["is_token", "tokens"]

_TOKEN = re.compile(r"(?<![\w@#])[@#]\w(?:[\w.@-]*\w)?")
_NONE: frozenset[str] = frozenset()


def is_token(word: str) -> bool:
    """True when `word` is exactly one @handle or #tag."""
    return _TOKEN.fullmatch(word) is not None


def tokens(text: str) -> frozenset[str]:
    """Every @handle and #tag of `text`, lower-cased (they match case-insensitively)."""
    if "@" not in text and "#" not in text:  # no sigil, no token: most texts, asked per rule
        return _NONE
    return frozenset(token.lower() for token in _TOKEN.findall(text))
