"""What `smileback keys create|list|revoke` do, on the store at a database URL."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from smileback.api.auth import Scope
from smileback.api.store import (
    ApiKey,
    create_key,
    create_schema,
    list_keys,
    make_engine,
    revoke_key,
)
from smileback.common.clock import Clock
from smileback.common.errors import ConfigError
from smileback.common.oncall import OnCallConfig

__all__ = ["check_responder", "create_api_key", "format_keys", "list_api_keys", "revoke_api_key"]

_MAX_NAME = 200


def create_api_key(
    *,
    database_url: str,
    name: str,
    scope: Scope,
    expires_days: int | None,
    clock: Clock,
    responder: str | None = None,
    oncall: OnCallConfig | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its token (shown once; only its hash is stored).

    A respond key belongs to a `responder`; with an on-call file, one it defines. Read and
    admin keys may belong to one too (an admin key without one acts only on someone's behalf).
    """
    name = name.strip()
    if not name or len(name) > _MAX_NAME:
        raise ConfigError(f"a key name must have 1 to {_MAX_NAME} characters")
    responder = check_responder(responder, scope=scope, oncall=oncall)
    if expires_days is not None and expires_days < 1:
        raise ConfigError("--expires-days must be at least 1")
    now = clock()
    expires_at = now + timedelta(days=expires_days) if expires_days is not None else None
    with _session(database_url) as session:
        return create_key(
            session=session,
            name=name,
            scope=scope,
            now=now,
            expires_at=expires_at,
            responder=responder,
        )


def check_responder(
    responder: str | None, *, scope: Scope, oncall: OnCallConfig | None
) -> str | None:
    """The responder a new key belongs to, or ConfigError saying why it cannot."""
    responder = responder.strip() if responder is not None else None
    if not responder:
        if scope is Scope.RESPOND:
            raise ConfigError("a respond key belongs to a responder: give --responder <id>")
        return None
    if len(responder) > _MAX_NAME:
        raise ConfigError(f"a responder id has at most {_MAX_NAME} characters")
    if oncall is not None and responder not in oncall.responders:
        known = ", ".join(sorted(oncall.responders)) or "none"
        raise ConfigError(
            f"the on-call file defines no responder {responder!r} (it defines: {known})"
        )
    return responder


def revoke_api_key(*, database_url: str, key_id: str, clock: Clock) -> ApiKey | None:
    """Revoke a key at once; None when there is no such key."""
    with _session(database_url) as session:
        return revoke_key(session=session, key_id=key_id, now=clock())


def list_api_keys(*, database_url: str) -> list[ApiKey]:
    """Every key, oldest first."""
    with _session(database_url) as session:
        return list_keys(session=session)


def format_keys(keys: Sequence[ApiKey], *, now: datetime) -> str:
    """A plain-text table of keys (never their tokens)."""
    rows = [("ID", "NAME", "SCOPE", "RESPONDER", "STATUS", "CREATED", "EXPIRES")]
    rows += [
        (
            key.id,
            key.name,
            str(key.scope),
            key.responder or "-",
            key.status(now=now),
            _day(key.created_at),
            _day(key.expires_at) if key.expires_at else "never",
        )
        for key in keys
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _day(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")


@contextmanager
def _session(database_url: str) -> Iterator[Session]:
    """A transaction on the store, migrated to the newest schema first."""
    engine = make_engine(database_url)
    try:
        create_schema(engine)
        with Session(engine, expire_on_commit=False) as session, session.begin():
            yield session
    finally:
        engine.dispose()
