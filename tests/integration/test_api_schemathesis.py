"""Schemathesis against the OpenAPI spec, in process, on PostgreSQL, with an admin token:
no 5xx, and every response (status, content type, headers, body) is the documented one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.openapi import from_asgi
from sqlalchemy import Engine, create_engine

from smileback.api.app import ApiOptions, create_app
from smileback.api.store import create_schema, make_engine
from smileback.common.bus import InMemoryBus
from smileback.common.events import QueueItem, QueueName
from smileback.common.topics import Topics
from tests.support.api_fixtures import TOKEN
from tests.support.builders import T0, scored
from tests.support.infra import fresh_database
from tests.support.store import opened_incident, store_mentions, store_queue

pytestmark = pytest.mark.integration

AUTH = {"Authorization": f"Bearer {TOKEN}"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def seeded(postgres_url: str) -> Iterator[Engine]:
    """A store with a few mentions, an open incident and a smile-back entry."""
    with fresh_database(postgres_url, prefix="api_schemathesis") as url:
        engine = make_engine(url)
        create_schema(engine)
        opened_incident(engine)
        store_mentions(engine, [scored(f"s{i}", root=f"r{i % 3}") for i in range(20)])
        store_queue(
            engine,
            [
                QueueItem(
                    mention_id="s1", brand="acme", queue=QueueName.SMILE_BACK, reason="r", at=T0
                )
            ],
        )
        yield engine
        engine.dispose()


@pytest.fixture(scope="module")
def api_schema(seeded: Engine) -> schemathesis.BaseSchema:
    topics = Topics()
    app = create_app(
        engine=seeded,
        api_token=TOKEN,
        bus=InMemoryBus(topics.all()),
        topics=topics,
        options=ApiOptions(rate_per_s=10_000, rate_burst=10_000),
    )
    return from_asgi("/openapi.json", app)


def _cases() -> list[tuple[str, GenerationMode]]:
    """Every operation in positive mode, and in negative mode when it has inputs to break."""
    spec = create_app(engine=create_engine("sqlite://"), api_token=TOKEN).openapi()
    cases = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            cases.append((label, GenerationMode.POSITIVE))
            if operation.get("parameters") or operation.get("requestBody"):
                cases.append((label, GenerationMode.NEGATIVE))
    return cases


# schemathesis.pytest.from_fixture does not work with pytest 9, so each operation's
# strategy is driven by Hypothesis here directly (schemathesis' documented Python API).
@pytest.mark.parametrize(("label", "mode"), _cases())
def test_operation_conforms(
    api_schema: schemathesis.BaseSchema, label: str, mode: GenerationMode
) -> None:
    operations = {result.ok().label: result.ok() for result in api_schema.get_all_operations()}
    statuses: set[int] = set()

    @given(case=operations[label].as_strategy(generation_mode=mode))
    @settings(
        max_examples=30,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def exercise(case: Case) -> None:
        statuses.add(case.call_and_validate(headers=AUTH, checks=CHECKS).status_code)

    exercise()
    assert statuses
    if mode is GenerationMode.POSITIVE:
        # Valid requests with the admin token are never refused for who sent them.
        assert not statuses & {401, 403, 429}, statuses
