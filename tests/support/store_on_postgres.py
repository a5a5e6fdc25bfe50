"""Fixtures that bind the api tests' `engine` to PostgreSQL: a module that imports `engine`
and `pg_engine` from here runs the SQLite tests it imports again on the database production
uses (one database per module, made by the migrations, emptied before each test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.support.infra import fresh_database
from tests.support.store import store_on, truncate_all

__all__ = ["engine", "pg_engine"]


@pytest.fixture(scope="module")
def pg_engine(postgres_url: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A store on a fresh PostgreSQL database named after the test module, migrated to head."""
    prefix = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    with fresh_database(postgres_url, prefix=prefix) as url, store_on(url) as engine:
        yield engine


@pytest.fixture
def engine(pg_engine: Engine) -> Engine:
    """The PostgreSQL store, empty."""
    truncate_all(pg_engine)
    return pg_engine
