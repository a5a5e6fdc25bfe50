"""Engines for the two supported databases: SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from smileback.api.store.migrate import upgrade
from smileback.common.database import postgres_engine
from smileback.common.errors import ConfigError

__all__ = ["SUPPORTED_DIALECTS", "create_schema", "make_engine"]

SUPPORTED_DIALECTS = frozenset({"sqlite", "postgresql"})


def make_engine(url: str) -> Engine:
    """An engine tuned for its dialect; ConfigError for a bad or unsupported URL."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"invalid database URL: {exc}") from exc
    dialect = parsed.get_backend_name()
    if dialect not in SUPPORTED_DIALECTS:
        raise ConfigError(f"unsupported database {dialect!r}: use sqlite or postgresql")
    if dialect == "postgresql":
        return postgres_engine(parsed)
    options: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if parsed.database in (None, "", ":memory:"):
        # One shared connection, or each thread would see its own empty in-memory database.
        options["poolclass"] = StaticPool
    engine = create_engine(parsed, **options)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets API readers run while the projector writes; the timeout waits out a writer.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")  # brand rules go with their brand
    cursor.close()


def create_schema(engine: Engine) -> None:
    """Upgrade the database to the newest migration (creating every table the first time)."""
    upgrade(engine)
