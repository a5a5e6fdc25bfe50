"""Fixtures of the api tests: a SQLite store in tmp_path and a client over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from smileback.api.app import create_app
from smileback.api.store import create_schema, make_engine
from tests.api.builders import TOKEN


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A fresh SQLite store with the schema."""
    eng = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    create_schema(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    """A client of the API over `engine`, without credentials."""
    with TestClient(create_app(engine=engine, api_token=TOKEN)) as test_client:
        yield test_client


@pytest.fixture
def auth() -> dict[str, str]:
    """The right Authorization header."""
    return {"Authorization": f"Bearer {TOKEN}"}
