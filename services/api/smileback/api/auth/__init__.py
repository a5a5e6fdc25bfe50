"""API keys: tokens, scopes, rate limiting."""

from smileback.api.auth.ratelimit import RateLimiter
from smileback.api.auth.tokens import (
    BOOTSTRAP_KEY_ID,
    Principal,
    Scope,
    hash_token,
    key_id_of,
    new_key_id,
    new_token,
    token_matches,
    weak_admin_token,
)

__all__ = [
    "BOOTSTRAP_KEY_ID",
    "Principal",
    "RateLimiter",
    "Scope",
    "hash_token",
    "key_id_of",
    "new_key_id",
    "new_token",
    "token_matches",
    "weak_admin_token",
]
