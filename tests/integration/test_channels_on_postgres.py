"""The PagerDuty and Slack callback tests (tests/api/routers/test_callbacks_*.py) again, on
PostgreSQL: the acknowledgement each channel makes takes the incident row's lock there."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.api.routers.test_callbacks_pagerduty import *  # noqa: F403
from tests.api.routers.test_callbacks_slack import *  # noqa: F403
from tests.support.infra import fresh_database
from tests.support.store import store_on, truncate_all

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    """A store on a fresh PostgreSQL database, migrated to head."""
    with fresh_database(postgres_url, prefix="api_channels") as url, store_on(url) as engine:
        yield engine


@pytest.fixture
def engine(pg_engine: Engine) -> Engine:
    """The PostgreSQL store, empty."""
    truncate_all(pg_engine)
    return pg_engine
