"""API key tokens and scopes (pure): what a token looks like, how it is hashed and compared.

A token is `sbk_<key id>_<secret>`: the id finds the stored key, and only the SHA-256 of
the whole token is stored, compared in constant time. The secret has 256 bits of
entropy, so a plain hash (no salt, no slow KDF) is enough.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "BOOTSTRAP_KEY_ID",
    "MIN_ADMIN_TOKEN_CHARS",
    "Principal",
    "Scope",
    "hash_token",
    "key_id_of",
    "new_key_id",
    "new_token",
    "token_matches",
    "weak_admin_token",
]

BOOTSTRAP_KEY_ID = "bootstrap"
# `secrets.token_urlsafe(24)` makes 32 characters (192 bits), as docs/development.md shows.
MIN_ADMIN_TOKEN_CHARS = 32
# Marks of a value copied from an example and never filled in, wherever they stand in it.
_PLACEHOLDERS = ("changeme", "replaceme", "placeholder", "yourtoken", "example", "xxxxxxxx")
# A word repeated to reach the length ("secretsecret...", "passwordpassword...", "aaaa...")
# has few distinct characters; a random token of 32 has many more.
_MIN_DISTINCT_CHARS = 8
_TOKEN = re.compile(r"sbk_([0-9a-f]{12})_[A-Za-z0-9_-]{43}")


class Scope(StrEnum):
    """What a key may do; each scope includes the ones before it."""

    READ = "read"
    RESPOND = "respond"
    ADMIN = "admin"

    def allows(self, needed: Scope) -> bool:
        """True when this scope includes `needed`."""
        order = list(Scope)
        return order.index(self) >= order.index(needed)


@dataclass(frozen=True)
class Principal:
    """Who made a request: a stored key, or the bootstrap token (admin, no responder).

    `responder` is the on-call file's id of the human the key belongs to: every action taken
    with the key is theirs, whatever a request body says."""

    key_id: str
    name: str
    scope: Scope
    responder: str | None = None


def new_key_id() -> str:
    """A fresh key id: 12 hex characters."""
    return secrets.token_hex(6)


def new_token(key_id: str) -> str:
    """A fresh token for `key_id`, shown once at creation."""
    return f"sbk_{key_id}_{secrets.token_urlsafe(32)}"


def key_id_of(token: str) -> str | None:
    """The key id inside a well-formed token, else None."""
    found = _TOKEN.fullmatch(token)
    return found.group(1) if found else None


def hash_token(token: str) -> str:
    """The stored form of a token: SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, *, stored_hash: str) -> bool:
    """True when `token` hashes to `stored_hash`, compared in constant time."""
    return hmac.compare_digest(hash_token(token).encode(), stored_hash.encode())


def weak_admin_token(token: str) -> str | None:
    """Why `token` must not be an admin token (too short, a placeholder, a repeated word),
    or None when it will do."""
    if len(token) < MIN_ADMIN_TOKEN_CHARS:
        return f"it has {len(token)} characters; at least {MIN_ADMIN_TOKEN_CHARS} are needed"
    letters = re.sub(r"[^a-z0-9]", "", token.lower())
    placeholder = next((mark for mark in _PLACEHOLDERS if mark in letters), None)
    if placeholder is not None:
        return f"it looks like a placeholder ({placeholder!r})"
    if len(set(token)) < _MIN_DISTINCT_CHARS:
        return "it repeats too few characters to be a random token"
    return None
