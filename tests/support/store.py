"""PostgreSQL helpers for the api's integration tests: a fresh database, emptied tables."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from smileback.api.store import create_schema, make_engine
from smileback.api.store.models import Base

__all__ = ["fresh_database", "migrated_store", "store_on", "truncate_all"]


@contextlib.contextmanager
def fresh_database(server_url: str, *, prefix: str = "api") -> Iterator[str]:
    """A new, empty database on the server of `server_url`; dropped (forcibly) afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def truncate_all(engine: Engine) -> None:
    """Empty every table of the store (the migration history stays)."""
    names = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} CASCADE"))


@contextlib.contextmanager
def migrated_store(engine: Engine) -> Iterator[Engine]:
    """`engine` with the store's schema, disposed of afterwards."""
    try:
        create_schema(engine)
        yield engine
    finally:
        engine.dispose()


def store_on(url: str) -> contextlib.AbstractContextManager[Engine]:
    """A migrated store on `url`."""
    return migrated_store(make_engine(url))
