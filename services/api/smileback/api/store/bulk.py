"""Fresh mentions into PostgreSQL by COPY, then one upsert from the copied rows.

Executing the upsert with every row's parameters sent a statement per row: on PostgreSQL
that was a quarter of the api's time storing mentions, and as much again of the server's.
Here a batch is copied into a temporary table (psycopg writes COPY rows in C) and moved
into `mentions` by one INSERT ... SELECT with the same ON CONFLICT as the row by row
statement. The temporary table belongs to the connection and is emptied at commit; a batch
rolled back takes its rows with it.

One INSERT may not update a row twice, so a batch holding one id more than once keeps its
last row only: what storing the rows in order would have left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Column, MetaData, Table, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from smileback.api.store.models import MentionRow
from smileback.common.database import copy_rows, table_of

__all__ = ["copy_upsert_mentions", "replace_unless_redacted"]

_MENTIONS = table_of(MentionRow)
_NAMES = tuple(column.name for column in _MENTIONS.columns)
_BATCH = Table(
    "mentions_batch",
    MetaData(),
    *(Column(column.name, column.type) for column in _MENTIONS.columns),
)
_CREATE_BATCH = text(
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {_BATCH.name} "
    f"(LIKE {_MENTIONS.name} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
)


def replace_unless_redacted(stmt: Any) -> Any:
    """`stmt`, a dialect's INSERT into mentions (see `dialect_insert`), replacing every
    column but the id of a row not redacted: the WHERE leaves a row redacted meanwhile as it
    is, the redaction kept."""
    set_ = {name: stmt.excluded[name] for name in _NAMES if name not in ("id", "redacted")}
    return stmt.on_conflict_do_update(
        index_elements=["id"], set_=set_, where=_MENTIONS.c.redacted.is_(False)
    )


_MOVE_BATCH = replace_unless_redacted(
    pg_insert(_MENTIONS).from_select(list(_NAMES), select(*(_BATCH.c[n] for n in _NAMES)))
)


def copy_upsert_mentions(*, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Upsert mention rows (every column, `payload` as JSON text) in the session's
    transaction on PostgreSQL."""
    latest = {row["id"]: row for row in rows}
    # In every batch's transaction: a temporary table created in a transaction that then
    # rolls back is gone with it, so a flag saying the connection has one could be wrong.
    session.execute(_CREATE_BATCH)
    copy_rows(
        session,
        table=_BATCH.name,
        columns=_NAMES,
        rows=([row[name] for name in _NAMES] for row in latest.values()),
    )
    session.execute(_MOVE_BATCH)
