"""The PagerDuty and Slack callback tests (tests/api/routers/test_callbacks_*.py) again, on
PostgreSQL: the acknowledgement each channel makes takes the incident row's lock there."""

from __future__ import annotations

import pytest

from tests.api.routers.test_callbacks_pagerduty import *  # noqa: F403
from tests.api.routers.test_callbacks_slack import *  # noqa: F403
from tests.support.api_fixtures import bus
from tests.support.store_on_postgres import engine, pg_engine

__all__ = ["bus", "engine", "pg_engine"]  # fixtures the imported tests use

pytestmark = pytest.mark.integration
