"""On PostgreSQL, the Alembic migrations and the SQLAlchemy models describe the same schema."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect, text

from smileback.api.store import create_schema, make_engine
from smileback.api.store.migrate import alembic_config, current_revision, head_revision
from smileback.api.store.models import Base
from tests.support.infra import fresh_database

pytestmark = pytest.mark.integration


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    """An engine on a fresh, empty database."""
    with fresh_database(postgres_url, prefix="api_migrations") as url:
        eng = make_engine(url)
        yield eng
        eng.dispose()


def _diff(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def test_autogenerate_finds_no_difference_after_upgrade(engine: Engine) -> None:
    create_schema(engine)
    assert current_revision(engine) == head_revision()
    assert _diff(engine) == []


def test_the_comparison_would_see_a_missing_index(engine: Engine) -> None:
    create_schema(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_mentions_text_trgm"))
    (change,) = _diff(engine)
    assert change[0] == "add_index"
    assert change[1].name == "ix_mentions_text_trgm"


def test_the_trigram_expression_and_covering_indexes_exist(engine: Engine) -> None:
    create_schema(engine)
    # Read from the catalogs, not from pg_indexes.indexdef: how PostgreSQL prints an index
    # back (casts, parentheses) is its own choice and changes between major versions.
    with engine.connect() as connection:
        assert _method_and_opclass(connection, "ix_mentions_text_trgm") == ("gin", "gin_trgm_ops")
        handle = _columns(connection, "ix_mentions_author_handle_created_at")
        assert handle == [(None, False), ("created_at", False)]  # an expression, then a column
        expression = connection.execute(
            text(
                "SELECT pg_get_expr(i.indexprs, i.indrelid) FROM pg_index i"
                " JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = :name"
            ),
            {"name": "ix_mentions_author_handle_created_at"},
        ).scalar_one()
        assert "lower(" in expression
        assert "author_handle" in expression
        assert _columns(connection, "ix_mentions_created_at_id") == [
            ("created_at", False),
            ("id", False),
            ("brand", True),
            ("is_negative", True),
        ]
        assert _columns(connection, "ix_mentions_brand_created_at") == [
            ("brand", False),
            ("created_at", False),
            ("id", False),
            ("is_negative", True),
        ]


def _columns(connection: Connection, index: str) -> list[tuple[str | None, bool]]:
    """The index's columns in order (None for an expression), each with whether it is INCLUDEd."""
    rows = connection.execute(
        text(
            "SELECT a.attname, k.ord > i.indnkeyatts FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid"
            " CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)"
            " LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
            " WHERE c.relname = :name ORDER BY k.ord"
        ),
        {"name": index},
    ).all()
    return [(name, bool(included)) for name, included in rows]


def _method_and_opclass(connection: Connection, index: str) -> tuple[str, str]:
    """The index's access method and the operator class of its first column."""
    method, opclass = connection.execute(
        text(
            "SELECT am.amname, opc.opcname FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam"
            " JOIN pg_opclass opc ON opc.oid = i.indclass[0] WHERE c.relname = :name"
        ),
        {"name": index},
    ).one()
    return str(method), str(opclass)


def test_downgrade_to_base_and_upgrade_again(engine: Engine) -> None:
    create_schema(engine)
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection=connection), "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    create_schema(engine)
    assert _diff(engine) == []


def test_concurrent_starters_migrate_once(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    code = (
        "import sys; from smileback.api.store import create_schema, make_engine; "
        "create_schema(make_engine(sys.argv[1]))"
    )
    starters = [
        subprocess.Popen([sys.executable, "-c", code, url], stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    for starter in starters:
        _, err = starter.communicate(timeout=60)
        assert starter.returncode == 0, err.decode()
    assert current_revision(engine) == head_revision()
    assert _diff(engine) == []
