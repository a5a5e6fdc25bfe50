"""Alembic's environment, run by `smileback.api.store.migrate` (no alembic.ini needed).

The caller passes an open connection in `config.attributes["connection"]` (and holds the
migration lock), or a URL as the `sqlalchemy.url` option (for generating a revision with
`alembic.command.revision(..., autogenerate=True)` during development).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from smileback.api.store.models import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    if context.is_offline_mode():
        raise RuntimeError("offline (--sql) migrations are not supported")
    given = context.config.attributes.get("connection")
    if isinstance(given, Connection):
        _run(given)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("pass a connection or set the sqlalchemy.url option")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


_main()
