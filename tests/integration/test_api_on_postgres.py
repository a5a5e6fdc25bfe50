"""The api's endpoint tests (tests/api/) again, on PostgreSQL instead of SQLite.

The same test functions run here with `engine` bound to a PostgreSQL database made by
the migrations (one per module, emptied before each test), so every endpoint, filter,
auth rule and incident action is checked on the database production uses.
"""

from __future__ import annotations

import pytest

from tests.api.auth.test_tokens import *  # noqa: F403
from tests.api.routers.test_brands import *  # noqa: F403
from tests.api.routers.test_incident_actions import *  # noqa: F403
from tests.api.routers.test_incidents_live import *  # noqa: F403
from tests.api.routers.test_incidents_paging import *  # noqa: F403
from tests.api.routers.test_incidents_reopen import *  # noqa: F403
from tests.api.routers.test_labels import *  # noqa: F403
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
from tests.support.api_fixtures import auth, bus, client
from tests.support.store_on_postgres import engine, pg_engine

__all__ = ["auth", "bus", "client", "engine", "pg_engine"]  # fixtures the imported tests use

pytestmark = pytest.mark.integration
