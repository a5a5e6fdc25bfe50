"""Fixtures shared by the api tests on SQLite (conftest.py) and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from smileback.api.app import create_app
from smileback.common.bus import InMemoryBus
from smileback.common.topics import Topics

__all__ = ["TOKEN", "auth", "bus", "client"]

TOKEN = "test-token-0123456789abcdefghijklmnop"  # 32+ characters, as `smileback api` requires


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    """A client of the API over `engine`, without credentials."""
    with TestClient(create_app(engine=engine, api_token=TOKEN)) as test_client:
        yield test_client


@pytest.fixture
def auth() -> dict[str, str]:
    """The bootstrap token's Authorization header."""
    return {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def bus() -> InMemoryBus:
    """An in-memory bus with the default topics, for an api that publishes."""
    return InMemoryBus(Topics().all())
