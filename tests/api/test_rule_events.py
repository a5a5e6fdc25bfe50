"""Rule changes through the API reach the brand-rules topic before they are committed, a
broker that does not take them is a 503 that stores nothing, and `reconcile` computes what
makes the topic's live rules the stored ones."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from smileback.api.app import create_app
from smileback.api.rule_events import reconcile
from smileback.api.store import BrandRuleRow
from smileback.common.bus import InMemoryBus
from smileback.common.events import BrandRuleEvent, decode
from smileback.common.rule_feed import fold
from smileback.common.topics import Topics
from tests.api.routers.test_incident_actions import BrokenBus
from tests.support.api_fixtures import TOKEN
from tests.support.builders import T0

TOPICS = Topics()
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _client(engine: Engine, bus: InMemoryBus) -> TestClient:
    app = create_app(engine=engine, api_token=TOKEN, bus=bus, topics=TOPICS, clock=lambda: T0)
    return TestClient(app)


@pytest.fixture
def api(engine: Engine, bus: InMemoryBus) -> Iterator[TestClient]:
    with _client(engine, bus) as client:
        yield client


def _published(bus: InMemoryBus) -> list[tuple[str, BrandRuleEvent]]:
    return [
        ((r.key or b"").decode(), decode(BrandRuleEvent, r.value))
        for r in bus.records(TOPICS.brand_rules)
    ]


def test_each_change_is_published_keyed_by_rule_id(api: TestClient, bus: InMemoryBus) -> None:
    created = api.post(
        "/v1/brands", json={"name": "acme", "rules": [{"query": "acme"}]}, headers=AUTH
    ).json()
    first = created["rules"][0]["id"]
    second = api.post("/v1/brands/acme/rules", json={"query": "@acmehelp"}, headers=AUTH).json()
    api.put(f"/v1/brands/acme/rules/{first}", json={"query": "acme OR beans"}, headers=AUTH)
    assert api.delete(f"/v1/brands/acme/rules/{second['id']}", headers=AUTH).status_code == 204
    published = _published(bus)
    assert [(key, e.rule_id, e.query, e.deleted) for key, e in published] == [
        (first, first, "acme", False),
        (second["id"], second["id"], "@acmehelp", False),
        (first, first, "acme OR beans", False),
        (second["id"], second["id"], "@acmehelp", True),
    ]
    assert api.delete("/v1/brands/acme", headers=AUTH).status_code == 204
    assert [(e.rule_id, e.deleted) for _, e in _published(bus)[4:]] == [(first, True)]
    assert fold({}, [e for _, e in _published(bus)]) == {}


def test_a_broker_that_does_not_take_the_change_is_a_503_and_nothing_is_stored(
    engine: Engine,
) -> None:
    with _client(engine, InMemoryBus(TOPICS.all())) as client:
        client.post("/v1/brands", json={"name": "acme"}, headers=AUTH)
        kept = client.post("/v1/brands/acme/rules", json={"query": "acme"}, headers=AUTH).json()
    with _client(engine, BrokenBus(TOPICS.all())) as client:
        refused = client.post("/v1/brands/acme/rules", json={"query": "beans"}, headers=AUTH)
        assert refused.status_code == 503, refused.text
        put = client.put(f"/v1/brands/acme/rules/{kept['id']}", json={"query": "x"}, headers=AUTH)
        assert put.status_code == 503
        assert client.delete(f"/v1/brands/acme/rules/{kept['id']}", headers=AUTH).status_code == 503
    with Session(engine) as session:
        assert [(r.id, r.query) for r in session.scalars(select(BrandRuleRow))] == [
            (kept["id"], "acme")
        ]


def _event(rule_id: str, query: str, brand: str = "acme") -> BrandRuleEvent:
    return BrandRuleEvent(rule_id=rule_id, brand=brand, query=query, at=T0)


def test_reconcile_publishes_what_the_topic_lacks_or_has_otherwise_and_deletes_the_rest(
    engine: Engine, api: TestClient
) -> None:
    rules = [
        api.post("/v1/brands", json={"name": "acme"}, headers=AUTH),
        api.post("/v1/brands/acme/rules", json={"query": "same"}, headers=AUTH),
        api.post("/v1/brands/acme/rules", json={"query": "changed"}, headers=AUTH),
        api.post("/v1/brands/acme/rules", json={"query": "missing"}, headers=AUTH),
    ]
    same, changed, missing = (r.json()["id"] for r in rules[1:])
    on_topic = {
        same: _event(same, "same"),
        changed: _event(changed, "before"),
        "gone": _event("gone", "phantom"),
    }
    later = T0 + timedelta(hours=1)
    with Session(engine) as session:
        changes = reconcile(session=session, on_topic=on_topic, at=later)
    assert sorted((e.rule_id, e.query, e.deleted) for e in changes) == sorted(
        [(changed, "changed", False), (missing, "missing", False), ("gone", "phantom", True)]
    )
    assert {e.at for e in changes} == {later}
    assert set(fold(on_topic, changes)) == {same, changed, missing}
