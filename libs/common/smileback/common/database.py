"""The one way a service connects to PostgreSQL (connections that notice a dead server), and
the statements every store writes in batches with."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
import pydantic_core
from psycopg import sql
from sqlalchemy import Engine, Table, create_engine
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from smileback.common.errors import ConfigError

__all__ = [
    "POSTGRES_CONNECT_ARGS",
    "copy_rows",
    "dialect_insert",
    "json_column_bytes",
    "on_postgresql",
    "postgres_engine",
    "table_of",
]

# libpq options. Without them a connection to a server that went away, or that accepts TCP
# and then answers nothing, waits forever: a new connection gives up after 10 s; an idle
# one is probed by TCP keepalives; data unacknowledged for 30 s drops the connection.
POSTGRES_CONNECT_ARGS: dict[str, Any] = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 30_000,
}


def json_column_bytes(value: Any) -> bytes:
    """A JSON column's value as the bytes psycopg sends: pydantic-core's encoder, the JSON
    `json.dumps` writes (compact) at a fraction of its cost, which was a twentieth of the
    api's time storing mentions."""
    return pydantic_core.to_json(value)


def postgres_engine(url: str | URL) -> Engine:
    """An engine whose pooled connections are checked before use (a restart left them dead)."""
    return create_engine(
        url,
        pool_pre_ping=True,
        connect_args=POSTGRES_CONNECT_ARGS,
        json_serializer=json_column_bytes,
    )


def table_of(model: type[Any]) -> Table:
    """A mapped class's table: a statement on it runs as one executemany, where the ORM
    would build a multi-row VALUES that refuses the same id twice in a batch."""
    table: Table = model.metadata.tables[model.__tablename__]
    return table


def on_postgresql(session: Session) -> bool:
    """Whether the session writes to PostgreSQL (else SQLite, the embedded store)."""
    return session.get_bind().dialect.name == "postgresql"


def dialect_insert(session: Session, table: type[Any] | Table) -> Any:
    """The dialect's INSERT (of a mapped class or a table), which has ON CONFLICT."""
    if on_postgresql(session):
        return pg_insert(table)
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return sqlite_insert(table)
    raise ConfigError(f"unsupported database {dialect!r}")


def copy_rows(
    session: Session, *, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """COPY `rows` (values in the order of `columns`) into `table` on PostgreSQL, in the
    session's transaction, in order. psycopg writes COPY rows in C, where an executemany
    sends, and the server runs, a statement per row.

    The COPY runs on the driver's own cursor, so its errors are wrapped here as SQLAlchemy
    wraps a statement's (a refused value is a `DataError`, a lost server an
    `OperationalError`): callers tell data the store refuses from a database that blinked
    the same way whichever statement failed."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    cursor = session.connection().connection.cursor()
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.Error as exc:
        described = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        raise DBAPIError.instance(described, None, exc, psycopg.Error) from exc
    finally:
        cursor.close()
