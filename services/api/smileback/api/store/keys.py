"""API keys in the store: create (the token is returned once), revoke, list, look up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from smileback.api.auth.tokens import Scope, hash_token, new_key_id, new_token
from smileback.api.store.models import ApiKeyRow

__all__ = ["ApiKey", "create_key", "find_key", "list_keys", "revoke_key"]


@dataclass(frozen=True)
class ApiKey:
    """A stored key, without its hash."""

    id: str
    name: str
    scope: Scope
    responder: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def status(self, *, now: datetime) -> str:
        """ "active", "expired" or "revoked"."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

    @classmethod
    def of(cls, row: ApiKeyRow) -> ApiKey:
        """The key of a row."""
        return cls(
            id=row.id,
            name=row.name,
            scope=Scope(row.scope),
            responder=row.responder,
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
        )


def create_key(
    *,
    session: Session,
    name: str,
    scope: Scope,
    now: datetime,
    expires_at: datetime | None,
    responder: str | None = None,
) -> tuple[ApiKey, str]:
    """Store a new key; returns it with its token, which is not kept anywhere."""
    key_id = new_key_id()
    token = new_token(key_id)
    row = ApiKeyRow(
        id=key_id,
        name=name,
        scope=str(scope),
        responder=responder,
        token_sha256=hash_token(token),
        created_at=now,
        expires_at=expires_at,
        revoked_at=None,
    )
    session.add(row)
    session.flush()
    return ApiKey.of(row), token


def revoke_key(*, session: Session, key_id: str, now: datetime) -> ApiKey | None:
    """Revoke a key (a second revocation keeps the first time); None when there is no such key."""
    row = session.get(ApiKeyRow, key_id)
    if row is None:
        return None
    if row.revoked_at is None:
        row.revoked_at = now
        session.flush()
    return ApiKey.of(row)


def list_keys(*, session: Session) -> list[ApiKey]:
    """Every key, oldest first."""
    rows = session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.id))
    return [ApiKey.of(row) for row in rows]


def find_key(*, session: Session, key_id: str) -> tuple[ApiKey, str] | None:
    """A key and its stored token hash, by id."""
    row = session.get(ApiKeyRow, key_id)
    return None if row is None else (ApiKey.of(row), row.token_sha256)
