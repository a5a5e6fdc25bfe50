"""Alembic configured in code: migrations live in this package, beside the models."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from smileback.common.errors import ConfigError

__all__ = ["MIGRATIONS_DIR", "alembic_config", "current_revision", "head_revision", "upgrade"]

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
# Any constant: concurrent starters (several API replicas) migrate one at a time.
_LOCK_KEY = 0x5345_4C42


def alembic_config(*, connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic config for this package's migrations, on a connection or a URL."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", "r%%(rev)s_%%(slug)s")
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, *, revision: str = "head") -> None:
    """Bring the database to `revision` (the newest by default) in one transaction."""
    # Alembic says "Context impl …" at INFO on every start; only its warnings matter here.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        if _unversioned_tables(connection):
            # Made by create_all before migrations existed: upgrading would collide with them.
            raise ConfigError(
                "the database has Smileback tables but no migration history; "
                "move it aside or drop its tables and start again"
            )
        command.upgrade(alembic_config(connection=connection), revision)


def _unversioned_tables(connection: Connection) -> bool:
    current = MigrationContext.configure(connection).get_current_revision()
    return current is None and inspect(connection).has_table("mentions")


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None before the first migration."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest revision in this package."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations in {MIGRATIONS_DIR}")
    return head
