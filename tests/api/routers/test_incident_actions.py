"""Acknowledge, resolve, assign, note: each an IncidentEvent on the bus AND in the store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from smileback.api.app import create_app
from smileback.api.projector import make_handler
from smileback.api.store import IncidentEventRow, IncidentRow
from smileback.common.bus import InMemoryBus
from smileback.common.errors import BusError
from smileback.common.events import IncidentEvent, IncidentEventType, ResponderAction, decode
from smileback.common.loop import pump
from smileback.common.topics import Topics
from tests.support.api_fixtures import TOKEN
from tests.support.builders import T0
from tests.support.store import opened_incident

TOPICS = Topics()
NOW = T0 + timedelta(minutes=7)
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class BrokenBus(InMemoryBus):
    """A bus whose broker never acknowledges."""

    def flush(self, timeout_s: float | None = None) -> None:
        raise BusError("broker down")


@pytest.fixture
def bus() -> InMemoryBus:
    return InMemoryBus(TOPICS.all())


@pytest.fixture
def app_client(engine: Engine, bus: InMemoryBus) -> Iterator[TestClient]:
    opened_incident(engine)
    app = create_app(engine=engine, api_token=TOKEN, bus=bus, topics=TOPICS, clock=lambda: NOW)
    with TestClient(app) as client:
        yield client


def _published(bus: InMemoryBus) -> list[IncidentEvent]:
    return [decode(IncidentEvent, r.value) for r in bus.records(TOPICS.incidents)]


def _post(client: TestClient, action: str, body: dict[str, Any], incident: str = "inc_1") -> Any:
    return client.post(f"/v1/incidents/{incident}/{action}", json=body, headers=AUTH)


def _events(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(IncidentEventRow)) or 0


def test_acknowledge_publishes_the_event_and_applies_it(
    engine: Engine, bus: InMemoryBus, app_client: TestClient
) -> None:
    response = _post(app_client, "acknowledge", {"responder": "sam"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["acknowledged_by"], body["owner"]) == (
        "acknowledged",
        "sam",
        "sam",
    )
    assert body["acknowledged_at"].startswith("2025-03-01T12:07:00")
    assert [e["type"] for e in body["timeline"]] == ["opened", "paged", "acknowledged"]
    assert body["timeline"][-1]["actor"] == "sam"
    assert [m["id"] for m in body["thread_mentions"]] == ["m1"]
    (event,) = _published(bus)
    assert event.type is IncidentEventType.ACKNOWLEDGED
    assert event.event_id.startswith("inc_1:ack:")
    assert (event.actor, event.at, event.incident_id, event.brand) == ("sam", NOW, "inc_1", "acme")
    assert bus.records(TOPICS.incidents)[0].key == b"inc_1"
    # The projector sees the same event later: nothing changes.
    before = _events(engine)
    consumer = bus.consumer([TOPICS.incidents], group="projector")
    handler = make_handler(engine=engine, bus=bus, topics=TOPICS, clock=lambda: NOW)
    assert pump(consumer=consumer, bus=bus, handler=handler) == 1
    assert _events(engine) == before
    assert app_client.get("/v1/incidents/inc_1", headers=AUTH).json() == body


def test_a_second_responder_gets_409_and_nothing_is_published(
    bus: InMemoryBus, app_client: TestClient
) -> None:
    assert _post(app_client, "acknowledge", {"responder": "sam"}).status_code == 200
    again = _post(app_client, "acknowledge", {"responder": "sam"})
    assert again.status_code == 200  # the same responder: a no-op
    other = _post(app_client, "acknowledge", {"responder": "kim"})
    assert other.status_code == 409
    assert other.json()["error"] == {"code": "conflict", "message": "already acknowledged by sam"}
    assert len(_published(bus)) == 1


def test_resolve_then_acknowledge_is_409_and_resolve_again_a_no_op(
    bus: InMemoryBus, app_client: TestClient
) -> None:
    resolved = _post(app_client, "resolve", {"responder": "kim"})
    assert resolved.status_code == 200
    assert (resolved.json()["status"], resolved.json()["resolved_by"]) == ("resolved", "kim")
    assert _post(app_client, "resolve", {"responder": "kim"}).status_code == 200
    assert _post(app_client, "acknowledge", {"responder": "sam"}).status_code == 409
    assert _post(app_client, "assign", {"owner": "sam"}).status_code == 409
    assert [e.type for e in _published(bus)] == [IncidentEventType.RESOLVED]


def test_assign_sets_the_one_owner(bus: InMemoryBus, app_client: TestClient) -> None:
    _post(app_client, "acknowledge", {"responder": "sam"})
    response = _post(app_client, "assign", {"owner": "kim", "responder": "lead"})
    assert response.status_code == 200
    body = response.json()
    assert (body["owner"], body["acknowledged_by"]) == ("kim", "sam")
    entry = body["timeline"][-1]
    assert (entry["type"], entry["action"], entry["owner"], entry["actor"]) == (
        "updated",
        "assign",
        "kim",
        "lead",
    )
    assert _published(bus)[-1].action == ResponderAction(kind="assign", owner="kim")
    assert _post(app_client, "assign", {"owner": "kim"}).status_code == 200
    assert len(_published(bus)) == 2  # assigning the owner again publishes nothing


def test_notes_join_the_timeline(bus: InMemoryBus, app_client: TestClient) -> None:
    response = _post(app_client, "notes", {"text": "Called them; refund sent.", "author": "sam"})
    assert response.status_code == 201, response.text
    entry = response.json()["timeline"][-1]
    assert (entry["action"], entry["note"], entry["actor"]) == (
        "note",
        "Called them; refund sent.",
        "sam",
    )
    assert response.json()["status"] == "open"  # a note changes nothing else
    assert _published(bus)[-1].event_id.startswith("inc_1:note:")


def test_an_unknown_incident_is_404(app_client: TestClient) -> None:
    for action, body in [
        ("acknowledge", {"responder": "sam"}),
        ("resolve", {"responder": "sam"}),
        ("assign", {"owner": "sam"}),
        ("notes", {"text": "x", "author": "sam"}),
    ]:
        response = _post(app_client, action, body, incident="inc_nope")
        assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("acknowledge", {}),
        ("acknowledge", {"responder": ""}),
        ("acknowledge", {"responder": "   "}),
        ("acknowledge", {"responder": "sam", "extra": 1}),
        ("acknowledge", {"responder": "x" * 201}),
        ("acknowledge", {"responder": "sam\u0000"}),
        ("assign", {"responder": "sam"}),
        ("notes", {"text": "", "author": "sam"}),
        ("notes", {"text": "x" * 4001, "author": "sam"}),
    ],
)
def test_bad_bodies_are_422(
    bus: InMemoryBus, app_client: TestClient, action: str, body: dict[str, Any]
) -> None:
    response = _post(app_client, action, body)
    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_request")
    assert _published(bus) == []


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b'{"responder": "\\ud800"}', 422, "invalid_request"),  # a lone surrogate
        (b'{"responder": ', 400, "bad_request"),  # cut short: not JSON at all
        (b"\xff\xfe not json", 400, "bad_request"),
    ],
)
def test_bodies_that_are_not_valid_json_text_are_refused(
    app_client: TestClient, raw: bytes, status: int, code: str
) -> None:
    response = app_client.post(
        "/v1/incidents/inc_1/acknowledge",
        content=raw,
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)


def test_when_the_bus_fails_the_store_is_not_changed(engine: Engine) -> None:
    opened_incident(engine)
    app = create_app(engine=engine, api_token=TOKEN, bus=BrokenBus(TOPICS.all()), topics=TOPICS)
    with TestClient(app) as client:
        response = _post(client, "acknowledge", {"responder": "sam"})
    assert (response.status_code, response.json()["error"]["code"]) == (503, "unavailable")
    with Session(engine) as session:
        row = session.get(IncidentRow, "inc_1")
        assert row is not None
        assert (row.status, row.owner) == ("open", None)


def test_without_a_bus_actions_apply_to_the_store(engine: Engine, client: TestClient) -> None:
    opened_incident(engine)  # `client` has no bus, as `smileback demo` wires it
    response = _post(client, "acknowledge", {"responder": "sam"})
    assert response.status_code == 200
    assert client.get("/v1/incidents/inc_1", headers=AUTH).json()["status"] == "acknowledged"
