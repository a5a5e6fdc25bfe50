"""The REST API over a SQLite store: auth, filters, pagination, errors, health, metrics, OpenAPI."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from smileback.api.app import create_app
from smileback.api.errors import install_error_handlers
from smileback.api.middleware import BodySizeLimit
from smileback.api.store import IncidentEventRow, apply_incident_event, make_engine
from smileback.common.errors import ConfigError
from smileback.common.events import IncidentEventType, Severity
from tests.support.api_fixtures import TOKEN
from tests.support.builders import T0, incident_event, quoting_packet, scored, tombstone
from tests.support.store import store_events, store_mentions


def _assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body


def _walk(client: TestClient, auth: dict[str, str], path: str, **params: Any) -> Iterator[dict]:
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get(path, params=query, headers=auth)
        assert response.status_code == 200, response.text
        page = response.json()
        yield from page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return


# --- auth ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/mentions", "/v1/incidents", "/v1/mentions/m1"])
def test_v1_needs_a_token(client: TestClient, path: str) -> None:
    response = client.get(path)
    _assert_error(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header",
    [f"Bearer {TOKEN}x", "Bearer ", f"Basic {TOKEN}", TOKEN, f"Bearer {TOKEN[:-1]}"],
)
def test_a_wrong_token_is_refused(client: TestClient, header: str) -> None:
    response = client.get("/v1/mentions", headers={"Authorization": header})
    _assert_error(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


def test_the_right_token_is_accepted(client: TestClient, auth: dict[str, str]) -> None:
    response = client.get("/v1/mentions", headers=auth)
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


def test_an_empty_token_is_a_config_error(engine: Engine) -> None:
    with pytest.raises(ConfigError):
        create_app(engine=engine, api_token="")


# --- mentions -----------------------------------------------------------------------------------


def test_pagination_returns_every_mention_once_newest_first(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    # Three mentions share each minute, so the id breaks ties inside the cursor.
    mentions = [scored(f"m{i:03d}", created_at=T0 + timedelta(minutes=i // 3)) for i in range(120)]
    store_mentions(engine, mentions)
    first = client.get("/v1/mentions", params={"limit": 50}, headers=auth).json()
    assert len(first["items"]) == 50
    assert first["next_cursor"]
    seen = [m["id"] for m in _walk(client, auth, "/v1/mentions", limit=50)]
    expected = sorted(mentions, key=lambda m: (m.created_at, m.id), reverse=True)
    assert seen == [m.id for m in expected]
    assert len(set(seen)) == 120
    default_page = client.get("/v1/mentions", headers=auth).json()
    assert len(default_page["items"]) == 50


def test_mention_filters(engine: Engine, client: TestClient, auth: dict[str, str]) -> None:
    store_mentions(
        engine,
        [
            scored("a1", brand="acme", negativity=0.95, root="r1", created_at=T0),
            scored(
                "a2", brand="acme", negativity=0.55, root="r1", created_at=T0 + timedelta(hours=1)
            ),
            scored("a3", brand="acme", negativity=0.10, created_at=T0 + timedelta(hours=2)),
            scored("b1", brand="bolt", negativity=0.99, created_at=T0 + timedelta(hours=3)),
        ],
    )

    def ids(**params: Any) -> list[str]:
        response = client.get("/v1/mentions", params=params, headers=auth)
        assert response.status_code == 200, response.text
        return [m["id"] for m in response.json()["items"]]

    assert ids(brand="acme") == ["a3", "a2", "a1"]
    assert ids(is_negative="true") == ["b1", "a2", "a1"]
    assert ids(is_negative="false") == ["a3"]
    assert ids(min_negativity=0.9) == ["b1", "a1"]
    assert ids(thread_root_id="r1") == ["a2", "a1"]
    assert ids(since=(T0 + timedelta(hours=1)).isoformat()) == ["b1", "a3", "a2"]
    assert ids(until=(T0 + timedelta(hours=2)).isoformat()) == ["a2", "a1"]
    assert ids(since="2025-03-01T13:00:00", until="2025-03-01T14:00:00") == ["a2"]  # naive = UTC
    assert ids(since="2025-03-01T14:00:00+01:00", until="2025-03-01T14:00:00+01:00") == []
    assert ids(brand="acme", min_negativity=0.5, limit=1) == ["a2"]


def test_one_mention(engine: Engine, client: TestClient, auth: dict[str, str]) -> None:
    store_mentions(engine, [scored("bluesky:at://did:plc:abc/app.bsky.feed.post/3k", root="r9")])
    response = client.get(
        "/v1/mentions/bluesky:at://did:plc:abc/app.bsky.feed.post/3k", headers=auth
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["thread_root_id"] == "r9"
    assert body["author_followers"] == 250_000
    assert body["sentiment"] == "negative"
    assert body["created_at"].startswith("2025-03-01T12:00:00")
    assert body["redacted"] is False


def test_a_deleted_mention_is_served_redacted(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    store_mentions(engine, [scored("m1"), tombstone("m1")])
    body = client.get("/v1/mentions/m1", headers=auth).json()
    assert body["redacted"] is True
    assert body["text"] == "[deleted]"
    assert body["url"] is None
    assert body["author_handle"] == ""


def test_unknown_ids_get_404_in_the_error_shape(client: TestClient, auth: dict[str, str]) -> None:
    _assert_error(client.get("/v1/mentions/nope", headers=auth), 404, "not_found")
    _assert_error(client.get("/v1/incidents/nope", headers=auth), 404, "not_found")
    _assert_error(client.get("/no/such/route"), 404, "not_found")


@pytest.mark.parametrize(
    "params",
    [
        {"min_negativity": 2},
        {"min_negativity": -0.1},
        {"limit": 0},
        {"limit": 501},
        {"since": "yesterday"},
        {"is_negative": "maybe"},
    ],
)
def test_bad_filters_get_422_in_the_error_shape(
    client: TestClient, auth: dict[str, str], params: dict[str, Any]
) -> None:
    body = _assert_error(
        client.get("/v1/mentions", params=params, headers=auth), 422, "invalid_request"
    )
    assert next(iter(params)) in body["error"]["message"]


@pytest.mark.parametrize("cursor", ["garbage!", "bm90IGpzb24", "WyJ4IiwgMV0", "WzFd"])
def test_a_bad_cursor_gets_422(client: TestClient, auth: dict[str, str], cursor: str) -> None:
    response = client.get("/v1/mentions", params={"cursor": cursor}, headers=auth)
    _assert_error(response, 422, "invalid_cursor")


def test_the_wrong_method_gets_the_error_shape(client: TestClient, auth: dict[str, str]) -> None:
    _assert_error(client.delete("/v1/mentions", headers=auth), 405, "method_not_allowed")


# --- incidents ----------------------------------------------------------------------------------


def _store_incidents(engine: Engine) -> None:
    events = [
        incident_event(IncidentEventType.OPENED, incident_id="inc_a", severity=Severity.CRITICAL),
        incident_event(IncidentEventType.PAGED, incident_id="inc_a", severity=Severity.CRITICAL),
        incident_event(
            IncidentEventType.ACKNOWLEDGED,
            incident_id="inc_a",
            at=T0 + timedelta(minutes=3),
            responder="sam",
        ),
        incident_event(
            IncidentEventType.OPENED,
            incident_id="inc_b",
            severity=Severity.WARNING,
            at=T0 + timedelta(hours=1),
            brand="bolt",
        ),
    ]
    with Session(engine) as session, session.begin():
        for event in events:
            apply_incident_event(session=session, event=event)


def test_incident_filters(engine: Engine, client: TestClient, auth: dict[str, str]) -> None:
    _store_incidents(engine)

    def ids(**params: Any) -> list[str]:
        response = client.get("/v1/incidents", params=params, headers=auth)
        assert response.status_code == 200, response.text
        return [i["id"] for i in response.json()["items"]]

    assert ids() == ["inc_b", "inc_a"]
    assert ids(status="acknowledged") == ["inc_a"]
    assert ids(status="open") == ["inc_b"]
    assert ids(severity="critical") == ["inc_a"]
    assert ids(brand="bolt") == ["inc_b"]
    assert ids(status="resolved") == []
    totals = {
        status: client.get("/v1/incidents", params={"status": status}, headers=auth).json()["total"]
        for status in ("open", "acknowledged", "resolved")
    }
    assert totals == {"open": 1, "acknowledged": 1, "resolved": 0}
    _assert_error(
        client.get("/v1/incidents", params={"status": "closed"}, headers=auth),
        422,
        "invalid_request",
    )


def test_unresolved_incidents_are_the_open_and_the_acknowledged(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    _store_incidents(engine)
    resolved = [
        incident_event(IncidentEventType.OPENED, incident_id="inc_c", at=T0 + timedelta(hours=2)),
        incident_event(
            IncidentEventType.RESOLVED,
            incident_id="inc_c",
            at=T0 + timedelta(hours=2, minutes=5),
            responder="sam",
        ),
    ]
    with Session(engine) as session, session.begin():
        for event in resolved:
            apply_incident_event(session=session, event=event)

    def listed(**params: str) -> tuple[list[str], int]:
        body = client.get("/v1/incidents", params=params, headers=auth).json()
        return [i["id"] for i in body["items"]], body["total"]

    assert listed() == (["inc_c", "inc_b", "inc_a"], 3)
    assert listed(unresolved="true") == (["inc_b", "inc_a"], 2)
    assert listed(unresolved="true", status="acknowledged") == (["inc_a"], 1)
    assert listed(unresolved="false") == (["inc_c", "inc_b", "inc_a"], 3)
    _assert_error(
        client.get("/v1/incidents", params={"unresolved": "maybe"}, headers=auth),
        422,
        "invalid_request",
    )


def test_incident_pagination(engine: Engine, client: TestClient, auth: dict[str, str]) -> None:
    with Session(engine) as session, session.begin():
        for i in range(7):
            event = incident_event(
                IncidentEventType.OPENED, incident_id=f"inc_{i}", at=T0 + timedelta(minutes=i)
            )
            apply_incident_event(session=session, event=event)
    seen = [i["id"] for i in _walk(client, auth, "/v1/incidents", limit=3)]
    assert seen == [f"inc_{i}" for i in reversed(range(7))]
    # Every page counts them all; the last page's null cursor is the end.
    pages = [client.get("/v1/incidents", params={"limit": 3}, headers=auth).json()]
    while pages[-1]["next_cursor"] is not None:
        params = {"limit": 3, "cursor": pages[-1]["next_cursor"]}
        pages.append(client.get("/v1/incidents", params=params, headers=auth).json())
    assert [(len(p["items"]), p["total"]) for p in pages] == [(3, 7), (3, 7), (1, 7)]


def test_incident_items_name_the_headline_author(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    headline = scored("m1", handle="@alice")
    store_mentions(engine, [headline])
    store_events(
        engine,
        [
            incident_event(
                IncidentEventType.OPENED, incident_id="inc_a", packet=quoting_packet(headline)
            ),
            incident_event(
                IncidentEventType.OPENED, incident_id="inc_b", at=T0 + timedelta(hours=1)
            ),
        ],
    )

    def items() -> dict[str, dict[str, Any]]:
        return {i["id"]: i for i in _walk(client, auth, "/v1/incidents")}

    listed = items()
    assert listed["inc_a"]["author_handle"] == "@alice"
    assert listed["inc_b"]["author_handle"] is None  # no context packet, no author
    assert "context" not in listed["inc_a"]
    # The handle is the mention's own, so it finds the author's posts.
    found = client.get("/v1/mentions", params={"author": "@alice"}, headers=auth).json()
    assert [m["author_handle"] for m in found["items"]] == [listed["inc_a"]["author_handle"]]
    # A responder's action carries its own context; the packet's author stays.
    acked = client.post(
        "/v1/incidents/inc_a/acknowledge", json={"on_behalf_of": "sam"}, headers=auth
    )
    assert acked.status_code == 200, acked.text
    assert items()["inc_a"]["author_handle"] == "@alice"
    # Once the headline post is deleted, its author is gone from the listing too.
    store_mentions(engine, [tombstone("m1")])
    assert items()["inc_a"]["author_handle"] == ""
    assert client.get("/v1/incidents/inc_a", headers=auth).json()["author_handle"] == ""


def test_an_incident_with_its_timeline(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    _store_incidents(engine)
    response = client.get("/v1/incidents/inc_a", headers=auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "acknowledged"
    assert body["paged_count"] == 1
    assert [e["type"] for e in body["timeline"]] == ["opened", "paged", "acknowledged"]
    assert body["timeline"][-1]["responder"] == "sam"
    assert body["timeline"][0]["mention_id"] == "m1"


def test_events_stored_at_schema_version_1_read_like_version_2(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    packet = quoting_packet(scored("m1"))
    store_events(engine, [incident_event(IncidentEventType.OPENED, packet=packet)])
    # Rows written before version 2: one `context` holding the packet or the action, and
    # `actor` and `assignee` where version 2 says `responder`, `owner` and `paged`.
    opened = incident_event(IncidentEventType.PAGED).model_dump(mode="json")
    del opened["packet"], opened["action"], opened["responder"], opened["owner"], opened["paged"]
    rows = [
        ("paged", {**opened, "context": packet.model_dump(mode="json")}),
        ("note", {**opened, "type": "updated", "context": {"action": "note", "note": "hi"}}),
        ("assign", {**opened, "type": "updated", "context": {"action": "assign", "owner": "kim"}}),
    ]
    with Session(engine) as session, session.begin():
        for i, (name, payload) in enumerate(rows, start=1):
            session.add(
                IncidentEventRow(
                    event_id=f"inc_1:{name}:v1",
                    incident_id="inc_1",
                    type=payload["type"],
                    at=T0 + timedelta(minutes=i),
                    payload={**payload, "schema_version": 1, "actor": "sam"},
                )
            )
    body = client.get("/v1/incidents/inc_1", headers=auth).json()
    assert body["context"] == packet.model_dump(mode="json")
    timeline = [(e["type"], e["action"], e["owner"], e["note"]) for e in body["timeline"]]
    assert timeline == [
        ("opened", None, None, None),
        ("paged", None, None, None),
        ("updated", "note", None, "hi"),
        ("updated", "assign", "kim", None),
    ]
    assert [e["responder"] for e in body["timeline"][1:]] == ["sam", "sam", "sam"]


# --- health, metrics, OpenAPI, limits -----------------------------------------------------------


def test_healthz_needs_no_token_and_touches_nothing(tmp_path: Path) -> None:
    broken = make_engine(f"sqlite:///{tmp_path / 'absent' / 'store.db'}")
    with TestClient(create_app(engine=broken, api_token=TOKEN)) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_checks_the_database_and_says_kafka_is_not_configured(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "kafka": "not configured"}


def test_a_query_while_the_database_is_away_is_a_503_to_retry(tmp_path: Path) -> None:
    broken = make_engine(f"sqlite:///{tmp_path / 'absent' / 'store.db'}")
    with TestClient(create_app(engine=broken, api_token=TOKEN), raise_server_exceptions=False) as c:
        response = c.get("/v1/mentions", headers={"Authorization": f"Bearer {TOKEN}"})
    body = _assert_error(response, 503, "unavailable")
    assert response.headers["Retry-After"] == "5"
    assert "database is unavailable" in body["error"]["message"]


def test_readyz_is_503_when_the_database_fails(tmp_path: Path) -> None:
    broken = make_engine(f"sqlite:///{tmp_path / 'absent' / 'store.db'}")
    with TestClient(create_app(engine=broken, api_token=TOKEN)) as client:
        body = _assert_error(client.get("/readyz"), 503, "unavailable")
    assert "database unavailable" in body["error"]["message"]


@pytest.mark.parametrize(("answer", "status"), [(None, 200), ("unavailable", 503)])
def test_readyz_asks_kafka_when_configured(engine: Engine, answer: str | None, status: int) -> None:
    calls: list[int] = []

    def kafka_check() -> str | None:
        calls.append(1)
        return answer

    app = create_app(engine=engine, api_token=TOKEN, kafka_check=kafka_check)
    with TestClient(app) as client:
        response = client.get("/readyz")
    assert response.status_code == status
    assert calls == [1]
    if answer is None:
        assert response.json()["kafka"] == "ok"
    else:
        assert "kafka unavailable" in response.json()["error"]["message"]


def test_metrics_are_served_without_a_token(client: TestClient, auth: dict[str, str]) -> None:
    client.get("/v1/mentions", headers=auth)
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'smileback_api_requests_total{method="GET",route="/v1/mentions",status="200"}' in (
        response.text
    )


def test_openapi_documents_the_bearer_scheme(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            secured = operation.get("security") == [{"bearerAuth": []}]
            assert secured is path.startswith("/v1/"), (method, path)
            if secured:
                assert {"401", "403", "422", "429"} <= set(operation["responses"]), (method, path)
    assert "security" not in spec["paths"]["/healthz"]["get"]
    error_schema = spec["paths"]["/v1/mentions"]["get"]["responses"]["401"]["content"]
    assert error_schema["application/json"]["schema"]["$ref"].endswith("/ErrorBody")


def test_a_declared_oversized_body_gets_413(client: TestClient, auth: dict[str, str]) -> None:
    response = client.post("/v1/mentions", content=b"x" * (64 * 1024 + 1), headers=auth)
    _assert_error(response, 413, "payload_too_large")


def test_a_streamed_oversized_body_gets_413() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    app.add_middleware(BodySizeLimit, max_bytes=1000)

    def chunks(count: int) -> Iterator[bytes]:
        for _ in range(count):
            yield b"y" * 400

    with TestClient(app) as client:
        assert client.post("/echo", content=chunks(2)).json() == {"size": 800}
        _assert_error(client.post("/echo", content=chunks(3)), 413, "payload_too_large")


def test_an_unexpected_error_gets_500_in_the_error_shape(tmp_path: Path) -> None:
    # Missing tables: a bug in the deployment, not an outage (PostgreSQL: ProgrammingError).
    no_tables = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    app = create_app(engine=no_tables, api_token=TOKEN)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/v1/mentions", headers={"Authorization": f"Bearer {TOKEN}"})
    body = _assert_error(response, 500, "internal")
    assert "no such table" not in body["error"]["message"]  # no internals leak out
