"""The schema comes from the Alembic migrations in the package (SQLite here; PostgreSQL in
tests/integration/test_api_migrations.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, inspect

from smileback.api.store import create_schema, make_engine
from smileback.api.store.migrate import (
    MIGRATIONS_DIR,
    alembic_config,
    current_revision,
    head_revision,
)
from smileback.api.store.models import Base
from smileback.common.errors import ConfigError

TABLES = {
    "alembic_version",
    "api_keys",
    "brand_rules",
    "brands",
    "incident_events",
    "incidents",
    "mention_labels",
    "mentions",
    "queue_items",
}


def test_create_schema_upgrades_to_head(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    assert set(inspect(engine).get_table_names()) == TABLES
    assert (MIGRATIONS_DIR / "env.py").is_file()


def test_every_model_table_has_a_migration(engine: Engine) -> None:
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name


def test_down_to_base_and_up_again(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    create_schema(engine)
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection=connection), "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    assert current_revision(engine) is None
    create_schema(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_tables_made_before_migrations_are_refused_not_clobbered(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'legacy.db'}")
    Base.metadata.create_all(engine)
    with pytest.raises(ConfigError, match="no migration history"):
        create_schema(engine)
    engine.dispose()
