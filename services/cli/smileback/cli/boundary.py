"""The CLI's one error boundary: an error a user can fix ends as one stderr line and exit 2.

Every command runs inside `Boundary.invoke`, so no command catches errors itself. What is
a bug (any other exception) keeps its traceback.
"""

from __future__ import annotations

from typing import Any

import typer
from typer._click import Context  # typer's own copy of click, which TyperGroup takes
from typer.core import TyperGroup

from smileback.common.errors import BusError, SmilebackError

__all__ = ["Boundary", "explain"]

_EXIT_USER_ERROR = 2

_KAFKA_HINT = "is Kafka up? check SMILEBACK_KAFKA_BOOTSTRAP"
_DATABASE_HINT = "is the database up? check SMILEBACK_DATABASE_URL"


class Boundary(TyperGroup):
    """The root command group: runs a command and turns a user's error into one line."""

    def invoke(self, ctx: Context) -> Any:
        """Invoke the command; `explain`ed errors exit 2 with their line on stderr."""
        try:
            return super().invoke(ctx)
        except Exception as exc:
            message = explain(exc)
            if message is None:
                raise
            typer.echo(f"smileback: {message}", err=True)
            raise typer.Exit(_EXIT_USER_ERROR) from None


def explain(exc: BaseException) -> str | None:
    """What is wrong and how to fix it, on one line; None when `exc` is not the user's to fix."""
    return None if (line := _explain(exc)) is None else " ".join(line.split())


def _explain(exc: BaseException) -> str | None:
    if isinstance(exc, BusError):
        return f"{exc} ({_KAFKA_HINT})"
    if isinstance(exc, SmilebackError):  # ConfigError and the rest say what to fix themselves
        return str(exc)
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"cannot open {exc.filename}: {exc.strerror or exc}"
    # Imported here, not at the top: importing SQLAlchemy takes a second on a busy machine,
    # and every command, `--version` too, would pay it.
    from kafka.errors import KafkaError
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

    if isinstance(exc, KafkaError):
        return f"Kafka failed: {type(exc).__name__} ({_KAFKA_HINT})"
    if isinstance(exc, OperationalError):
        # The driver's first line names the host and the reason; the URL (and any password
        # in it) is not repeated.
        reason = str(exc.orig or exc).strip().splitlines()[0]
        return f"database unreachable: {reason} ({_DATABASE_HINT})"
    if isinstance(exc, (ArgumentError, NoSuchModuleError)):
        # Their message quotes the URL, which may carry a password.
        return "not a database URL SQLAlchemy can use: check SMILEBACK_DATABASE_URL"
    return None
