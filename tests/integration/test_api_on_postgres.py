"""The api's endpoint tests (tests/api/) again, on PostgreSQL instead of SQLite.

The same test functions run here with `engine` bound to a PostgreSQL database made by
the migrations (one per module, emptied before each test), so every endpoint, filter,
auth rule and incident action is checked on the database production uses.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.api.auth.test_tokens import *  # noqa: F403
from tests.api.routers.test_brands import *  # noqa: F403
from tests.api.routers.test_incident_actions import *  # noqa: F403
from tests.api.routers.test_incidents_paging import *  # noqa: F403
from tests.api.routers.test_incidents_reopen import *  # noqa: F403
from tests.api.routers.test_mentions import *  # noqa: F403
from tests.api.routers.test_smile_back import *  # noqa: F403
from tests.api.routers.test_smile_back_level import *  # noqa: F403
from tests.api.routers.test_triage import *  # noqa: F403
from tests.api.store.test_batch_writes import *  # noqa: F403
from tests.api.store.test_retention import *  # noqa: F403
from tests.api.store.test_stats import *  # noqa: F403
from tests.api.store.test_writes_reopen import *  # noqa: F403
from tests.api.test_app import *  # noqa: F403
from tests.api.test_queues import *  # noqa: F403
from tests.support.api_fixtures import auth, client
from tests.support.infra import fresh_database
from tests.support.store import store_on, truncate_all

__all__ = ["auth", "client", "engine"]  # fixtures the imported tests use

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    """A store on a fresh PostgreSQL database, migrated to head."""
    with fresh_database(postgres_url, prefix="api_endpoints") as url, store_on(url) as engine:
        yield engine


@pytest.fixture
def engine(pg_engine: Engine) -> Engine:
    """The PostgreSQL store, empty."""
    truncate_all(pg_engine)
    return pg_engine
