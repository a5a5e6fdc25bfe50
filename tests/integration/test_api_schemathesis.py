"""Schemathesis against the OpenAPI spec, in process, on PostgreSQL, with an admin key:
every operation, generated and at the edges of datetime's range, gets no 5xx, and every
response (status, content type, headers, body) is the documented one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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
from smileback.api.auth import Scope
from smileback.api.store import create_schema, make_engine
from smileback.common.bus import InMemoryBus
from smileback.common.events import QueueItem, QueueName
from smileback.common.topics import Topics
from tests.support.api_fixtures import TOKEN
from tests.support.builders import T0, scored
from tests.support.infra import fresh_database
from tests.support.store import make_key, opened_incident, store_mentions, store_queue

pytestmark = pytest.mark.integration

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def seeded(postgres_url: str) -> Iterator[Engine]:
    """A store with a few mentions, an open incident, a smile-back and a triage entry."""
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
                ),
                QueueItem(mention_id="s2", brand="acme", queue=QueueName.TRIAGE, reason="r", at=T0),
            ],
        )
        yield engine
        engine.dispose()


@pytest.fixture(scope="module")
def auth(seeded: Engine) -> dict[str, str]:
    """An admin key of responder "sam": it may act as sam or on anyone's behalf."""
    return make_key(seeded, Scope.ADMIN, responder="sam")[1]


@pytest.fixture(scope="module")
def api_schema(seeded: Engine) -> schemathesis.BaseSchema:
    topics = Topics()
    app = create_app(
        engine=seeded,
        api_token=TOKEN,
        bus=InMemoryBus(topics.all()),
        topics=topics,
        # Negative cases break the Authorization header too: neither limit may turn the
        # rest of the run into 429s.
        options=ApiOptions(
            rate_per_s=10_000,
            rate_burst=10_000,
            auth_failures_per_s=10_000,
            auth_failure_burst=10_000,
        ),
    )
    return from_asgi("/openapi.json", app)


# Datetime's own ends (which once overflowed into a 500), with offsets that push them past
# it, and both sides of the range the API accepts (1970 up to 3000).
TIME_EDGES = [
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59.999999Z",
    "9999-12-31T23:59:59-14:00",
    "1969-12-31T23:59:59.999999Z",
    "1970-01-01T00:00:00Z",
    "2999-12-31T23:59:59.999999Z",
    "3000-01-01T00:00:00Z",
]


def _spec() -> dict[str, Any]:
    return create_app(engine=create_engine("sqlite://"), api_token=TOKEN).openapi()


def _cases() -> list[tuple[str, GenerationMode]]:
    """Every operation in positive mode, and in negative mode when it has inputs to break."""
    spec = _spec()
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
    api_schema: schemathesis.BaseSchema, auth: dict[str, str], label: str, mode: GenerationMode
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
        statuses.add(case.call_and_validate(headers=auth, checks=CHECKS).status_code)

    exercise()
    assert statuses
    if mode is GenerationMode.POSITIVE:
        # Valid requests with the admin key are never refused for who sent them, except an
        # action whose generated body names a `responder` (or `author`) other than the key's:
        # a body cannot claim another identity (403).
        refused = {401, 429} if _names_who_acts(label) else {401, 403, 429}
        assert not statuses & refused, statuses


def _names_who_acts(label: str) -> bool:
    """Whether the operation's body may name who acts (`responder` or `author`)."""
    method, path = label.split(" ", 1)
    body = _spec()["paths"][path][method.lower()].get("requestBody", {})
    return any(f"/schemas/{name}" in str(body) for name in _ACTING_BODIES)


_ACTING_BODIES = (
    "ResponderIn", "AssignIn", "TakeOverIn", "NoteIn", "AnsweredIn", "DismissIn", "LabelIn",
)  # fmt: skip


def _time_parameters() -> list[tuple[str, str]]:
    """(operation, name) of every date-time query parameter in the spec."""
    found = []
    for path, operations in _spec()["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and "'date-time'" in str(parameter["schema"]):
                    found.append((f"{method.upper()} {path}", parameter["name"]))
    return found


def test_the_spec_declares_every_time_parameter() -> None:
    # The edge test below covers what this finds: a time parameter typed as a plain string
    # would slip past it.
    assert sorted(_time_parameters()) == [
        ("GET /v1/mentions", "since"),
        ("GET /v1/mentions", "until"),
        ("GET /v1/mentions/labels", "since"),
        ("GET /v1/mentions/labels", "until"),
        ("GET /v1/mentions/labels.jsonl", "since"),
        ("GET /v1/mentions/labels.jsonl", "until"),
        ("GET /v1/oncall", "at"),
        ("GET /v1/stats/mentions", "since"),
        ("GET /v1/stats/mentions", "until"),
    ]


@pytest.mark.parametrize(("label", "name"), _time_parameters())
def test_time_parameters_at_the_edges_conform(
    api_schema: schemathesis.BaseSchema, auth: dict[str, str], label: str, name: str
) -> None:
    operations = {result.ok().label: result.ok() for result in api_schema.get_all_operations()}
    for value in TIME_EDGES:
        case = operations[label].Case(query={name: value})
        response = case.call_and_validate(headers=auth, checks=CHECKS)
        in_range = value.startswith(("1970", "2999"))
        # In range is answered, except a stats `since` alone: from 1970 to now is too many
        # buckets, and 2999 is after `until` (now).
        if in_range and not (name == "since" and "stats" in label):
            assert response.status_code == 200, (value, response.text)
        else:
            assert response.status_code == 422, (value, response.text)
