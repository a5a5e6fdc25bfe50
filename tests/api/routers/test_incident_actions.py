"""Acknowledge, resolve, assign, take over, note: each an IncidentEvent on the bus AND in the
store, taken as the responder of the key used, under the lock of the incident's owner."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from smileback.api.app import create_app
from smileback.api.auth import Scope
from smileback.api.projector import make_handler
from smileback.api.store import IncidentEventRow, IncidentRow
from smileback.common.bus import InMemoryBus
from smileback.common.errors import BusError
from smileback.common.events import IncidentEvent, IncidentEventType, ResponderAction, decode
from smileback.common.loop import pump
from smileback.common.topics import Topics
from tests.support.api_fixtures import TOKEN
from tests.support.builders import T0
from tests.support.store import make_key, opened_incident

TOPICS = Topics()
NOW = T0 + timedelta(minutes=7)
AUTH = {"Authorization": f"Bearer {TOKEN}"}  # the bootstrap admin: no responder
KEYS: dict[str, dict[str, str]] = {}  # the test's respond keys, by responder


class BrokenBus(InMemoryBus):
    """A bus whose broker never acknowledges."""

    def flush(self, timeout_s: float | None = None) -> None:
        raise BusError("broker down")


@pytest.fixture
def keys(engine: Engine) -> Iterator[None]:
    """Respond keys of sam, kim and lead."""
    KEYS.update({who: make_key(engine, Scope.RESPOND, responder=who)[1] for who in _TEAM})
    yield
    KEYS.clear()


_TEAM = ("sam", "kim", "lead")


@pytest.fixture
def app_client(engine: Engine, bus: InMemoryBus, keys: None) -> Iterator[TestClient]:
    opened_incident(engine)
    app = create_app(engine=engine, api_token=TOKEN, bus=bus, topics=TOPICS, clock=lambda: NOW)
    with TestClient(app) as client:
        yield client


def _published(bus: InMemoryBus) -> list[IncidentEvent]:
    return [decode(IncidentEvent, r.value) for r in bus.records(TOPICS.incidents)]


def _post(
    client: TestClient,
    action: str,
    body: dict[str, Any] | None = None,
    incident: str = "inc_1",
    *,
    as_: str = "sam",
) -> Any:
    """POST an action with the key of responder `as_`, or of the bootstrap admin ("admin")."""
    headers = AUTH if as_ == "admin" else KEYS[as_]
    return client.post(f"/v1/incidents/{incident}/{action}", json=body, headers=headers)


def _events(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(IncidentEventRow)) or 0


def test_acknowledge_publishes_the_event_and_applies_it(
    engine: Engine, bus: InMemoryBus, app_client: TestClient
) -> None:
    response = _post(app_client, "acknowledge")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["acknowledged_by"], body["owner"]) == (
        "acknowledged",
        "sam",
        "sam",
    )
    assert body["acknowledged_at"].startswith("2025-03-01T12:07:00")
    assert body["last_event_at"] == body["acknowledged_at"]
    # A small result: the state and the event recorded, not the whole incident.
    assert set(body) == {*_STATE, "event"}
    entry = body["event"]
    assert (entry["type"], entry["responder"], entry["owner"]) == ("acknowledged", "sam", "sam")
    assert entry["on_behalf_of"] is None
    assert entry["key_id"] is not None
    assert entry["key_id"] in KEYS["sam"]["Authorization"]
    (event,) = _published(bus)
    assert event.type is IncidentEventType.ACKNOWLEDGED
    assert event.event_id.startswith("inc_1:ack:")
    assert (event.responder, event.at, event.incident_id, event.brand) == (
        "sam",
        NOW,
        "inc_1",
        "acme",
    )
    assert event.key_id == entry["key_id"]
    assert bus.records(TOPICS.incidents)[0].key == b"inc_1"
    # The projector sees the same event later: nothing changes.
    before = _events(engine)
    consumer = bus.consumer([TOPICS.incidents], group="projector")
    handler = make_handler(engine=engine, bus=bus, topics=TOPICS, clock=lambda: NOW)
    assert pump(consumer=consumer, bus=bus, handler=handler) == 1
    assert _events(engine) == before
    detail = app_client.get("/v1/incidents/inc_1", headers=AUTH).json()
    assert {k: detail[k] for k in _STATE} == {k: body[k] for k in _STATE}
    assert detail["timeline"][-1] == entry
    assert [e["type"] for e in detail["timeline"]] == ["opened", "paged", "acknowledged"]


_STATE = (
    "id",
    "status",
    "owner",
    "acknowledged_by",
    "acknowledged_at",
    "resolved_by",
    "resolved_at",
    "last_event_at",
)


def test_acting_again_without_a_change_answers_the_state_and_no_event(
    bus: InMemoryBus, app_client: TestClient
) -> None:
    first = _post(app_client, "acknowledge").json()
    again = _post(app_client, "acknowledge")
    assert again.status_code == 200
    assert again.json() == {**first, "event": None}
    assert len(_published(bus)) == 1


def test_a_body_cannot_name_another_responder(bus: InMemoryBus, app_client: TestClient) -> None:
    forged = _post(app_client, "acknowledge", {"responder": "kim"}, as_="sam")
    assert (forged.status_code, forged.json()["error"]["code"]) == (403, "forbidden")
    assert "'sam'" in forged.json()["error"]["message"]
    note = _post(app_client, "notes", {"text": "hi", "responder": "kim"}, as_="sam")
    assert note.status_code == 403
    assert _published(bus) == []
    # Naming oneself is allowed (older clients send it).
    assert _post(app_client, "acknowledge", {"responder": "sam"}).status_code == 200


def test_only_an_admin_acts_on_behalf_of_someone(bus: InMemoryBus, app_client: TestClient) -> None:
    assert _post(app_client, "acknowledge", {"on_behalf_of": "kim"}, as_="sam").status_code == 403
    alone = _post(app_client, "acknowledge", as_="admin")  # the bootstrap token: no responder
    assert alone.status_code == 403
    assert "on_behalf_of" in alone.json()["error"]["message"]
    response = _post(app_client, "acknowledge", {"on_behalf_of": "kim"}, as_="admin")
    assert response.status_code == 200, response.text
    assert response.json()["owner"] == "kim"
    entry = response.json()["event"]
    assert (entry["responder"], entry["on_behalf_of"], entry["key_id"]) == (
        "kim",
        "kim",
        "bootstrap",
    )
    (event,) = _published(bus)
    assert (event.responder, event.on_behalf_of, event.key_id) == ("kim", "kim", "bootstrap")


def test_a_key_without_a_responder_cannot_act(engine: Engine, app_client: TestClient) -> None:
    _, nobody = make_key(engine, Scope.RESPOND)  # made before keys had responders
    response = app_client.post("/v1/incidents/inc_1/acknowledge", headers=nobody)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")
    assert "--responder" in response.json()["error"]["message"]


def test_the_owner_holds_the_lock_and_others_get_409_naming_them(
    bus: InMemoryBus, app_client: TestClient
) -> None:
    assert _post(app_client, "acknowledge").status_code == 200
    assert _post(app_client, "acknowledge").status_code == 200  # the same responder: a no-op
    for action, body in [
        ("acknowledge", None),
        ("resolve", None),
        ("assign", {"owner": "kim"}),
    ]:
        other = _post(app_client, action, body, as_="kim")
        assert other.status_code == 409, action
        error = other.json()["error"]
        assert (error["code"], error["owner"]) == ("conflict", "sam")
        assert "claimed by sam" in error["message"]
    # Anyone may add a note.
    assert _post(app_client, "notes", {"text": "seen"}, as_="kim").status_code == 201
    assert [e.type for e in _published(bus)] == [
        IncidentEventType.ACKNOWLEDGED,
        IncidentEventType.UPDATED,
    ]


def test_taking_over_is_explicit_audited_and_names_the_previous_owner(
    bus: InMemoryBus, app_client: TestClient
) -> None:
    assert _post(app_client, "take-over", {"reason": "x"}, as_="kim").status_code == 409  # unheld
    _post(app_client, "acknowledge")
    assert _post(app_client, "take-over", {}, as_="kim").status_code == 422  # a reason is required
    response = _post(app_client, "take-over", {"reason": "Sam is off shift"}, as_="kim")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["owner"], body["acknowledged_by"], body["status"]) == (
        "kim",
        "sam",
        "acknowledged",
    )
    entry = body["event"]
    assert (entry["type"], entry["action"], entry["responder"]) == ("updated", "take_over", "kim")
    assert (entry["owner"], entry["previous_owner"], entry["reason"]) == (
        "kim",
        "sam",
        "Sam is off shift",
    )
    # Self-describing for the alerts service: who had it, who has it, and why.
    event = _published(bus)[-1]
    assert event.action == ResponderAction(
        kind="take_over", owner="kim", previous_owner="sam", reason="Sam is off shift"
    )
    assert event.owner == "kim"
    assert _post(app_client, "take-over", {"reason": "again"}, as_="kim").status_code == 200
    assert len(_published(bus)) == 2  # taking over one's own incident publishes nothing
    # Now sam is the one locked out.
    assert _post(app_client, "resolve", as_="sam").json()["error"]["owner"] == "kim"


def test_resolving_releases_the_lock_and_later_actions_conflict(
    bus: InMemoryBus, app_client: TestClient
) -> None:
    _post(app_client, "acknowledge", as_="kim")
    resolved = _post(app_client, "resolve", as_="kim")
    assert resolved.status_code == 200
    body = resolved.json()
    assert (body["status"], body["resolved_by"], body["owner"]) == ("resolved", "kim", None)
    assert _post(app_client, "resolve", as_="sam").status_code == 200  # a no-op
    assert _post(app_client, "acknowledge").status_code == 409
    assert _post(app_client, "assign", {"owner": "sam"}).status_code == 409
    assert _post(app_client, "take-over", {"reason": "x"}).status_code == 409
    assert [e.type for e in _published(bus)] == [
        IncidentEventType.ACKNOWLEDGED,
        IncidentEventType.RESOLVED,
    ]


def test_the_owner_assigns_the_one_owner(bus: InMemoryBus, app_client: TestClient) -> None:
    _post(app_client, "acknowledge", as_="lead")
    response = _post(app_client, "assign", {"owner": "kim"}, as_="lead")
    assert response.status_code == 200
    body = response.json()
    assert (body["owner"], body["acknowledged_by"]) == ("kim", "lead")
    entry = body["event"]
    assert (entry["type"], entry["action"], entry["owner"], entry["responder"]) == (
        "updated",
        "assign",
        "kim",
        "lead",
    )
    assert _published(bus)[-1].action == ResponderAction(kind="assign", owner="kim")
    assert _post(app_client, "assign", {"owner": "kim"}, as_="kim").status_code == 200
    assert len(_published(bus)) == 2  # assigning the owner again publishes nothing
    assert _post(app_client, "assign", {"owner": "sam"}, as_="lead").status_code == 409


def test_notes_join_the_timeline(bus: InMemoryBus, app_client: TestClient) -> None:
    response = _post(app_client, "notes", {"text": "Called them; refund sent."})
    assert response.status_code == 201, response.text
    entry = response.json()["event"]
    assert (entry["action"], entry["note"], entry["responder"]) == (
        "note",
        "Called them; refund sent.",
        "sam",
    )
    assert response.json()["status"] == "open"  # a note changes nothing else
    assert _published(bus)[-1].event_id.startswith("inc_1:note:")


def test_a_note_naming_its_author_is_refused_naming_responder(
    bus: InMemoryBus, app_client: TestClient
) -> None:
    response = _post(app_client, "notes", {"text": "hi", "author": "sam"})
    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_request")
    assert "`author` is now `responder`" in response.json()["error"]["message"]
    assert _published(bus) == []


def test_an_unknown_incident_is_404(app_client: TestClient) -> None:
    for action, body in [
        ("acknowledge", None),
        ("resolve", None),
        ("assign", {"owner": "sam"}),
        ("take-over", {"reason": "x"}),
        ("notes", {"text": "x"}),
    ]:
        response = _post(app_client, action, body, incident="inc_nope")
        assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("acknowledge", {"responder": ""}),
        ("acknowledge", {"responder": "   "}),
        ("acknowledge", {"responder": "sam", "extra": 1}),
        ("acknowledge", {"responder": "x" * 201}),
        ("acknowledge", {"responder": "sam\u0000"}),
        ("assign", {"responder": "sam"}),
        ("notes", {"text": "", "responder": "sam"}),
        ("notes", {"text": "x" * 4001, "responder": "sam"}),
        ("take-over", {"reason": ""}),
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
        headers={**KEYS["sam"], "Content-Type": "application/json"},
    )
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)


@pytest.mark.usefixtures("keys")
def test_when_the_bus_fails_the_store_is_not_changed(engine: Engine) -> None:
    opened_incident(engine)
    app = create_app(engine=engine, api_token=TOKEN, bus=BrokenBus(TOPICS.all()), topics=TOPICS)
    with TestClient(app) as client:
        response = _post(client, "acknowledge")
    assert (response.status_code, response.json()["error"]["code"]) == (503, "unavailable")
    with Session(engine) as session:
        row = session.get(IncidentRow, "inc_1")
        assert row is not None
        assert (row.status, row.owner) == ("open", None)


@pytest.mark.usefixtures("keys")
def test_without_a_bus_actions_apply_to_the_store(engine: Engine, client: TestClient) -> None:
    opened_incident(engine)  # `client` has no bus, as `smileback demo` wires it
    response = _post(client, "acknowledge")
    assert response.status_code == 200
    assert client.get("/v1/incidents/inc_1", headers=AUTH).json()["status"] == "acknowledged"
