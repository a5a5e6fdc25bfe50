"""The statements an engine runs, to tell a COPY from a statement per row."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, event

__all__ = ["Statement", "statements_run"]

Statement = tuple[str, bool]  # the statement's first word, and whether it ran as executemany


@contextlib.contextmanager
def statements_run(engine: Engine) -> Iterator[list[Statement]]:
    """Every statement `engine` runs inside the block (COPY goes past SQLAlchemy: not seen)."""
    seen: list[Statement] = []

    def note(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        seen.append((statement.split()[0].upper(), many))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)
