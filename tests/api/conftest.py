"""Fixtures of the api tests: a SQLite store in tmp_path, a client over it, the token header."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from smileback.api.store import make_engine
from tests.support.api_fixtures import auth, bus, client
from tests.support.store import migrated_store

__all__ = ["auth", "bus", "client", "engine"]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A fresh SQLite store with the schema."""
    with migrated_store(make_engine(f"sqlite:///{tmp_path / 'store.db'}")) as eng:
        yield eng
