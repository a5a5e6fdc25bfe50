"""The smile-back queue's service level: how long each entry has waited, and "not for us"."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from smileback.api.app import create_app
from smileback.api.auth import Scope
from smileback.common.bus import InMemoryBus
from smileback.common.errors import BusError
from smileback.common.events import QueueItem, QueueName, decode
from smileback.common.topics import Topics
from tests.support.api_fixtures import TOKEN
from tests.support.builders import T0
from tests.support.clock import FakeClock
from tests.support.store import make_key, store_queue

AUTH = {"Authorization": f"Bearer {TOKEN}"}
TOPICS = Topics()


def _kind(mention_id: str, *, minutes: int) -> QueueItem:
    return QueueItem(
        mention_id=mention_id,
        brand="acme",
        queue=QueueName.SMILE_BACK,
        reason="kind words",
        at=T0 + timedelta(minutes=minutes),
    )


def test_waiting_time_and_dismissal_with_a_reason(engine: Engine) -> None:
    store_queue(engine, [_kind("k1", minutes=0), _kind("k2", minutes=30)])
    clock = FakeClock(T0 + timedelta(hours=5))
    _, sam = make_key(engine, Scope.RESPOND, responder="sam")
    with TestClient(create_app(engine=engine, api_token=TOKEN, clock=clock)) as client:
        items = client.get("/v1/smile-back", headers=AUTH).json()["items"]
        assert [(i["mention_id"], i["waiting_s"]) for i in items] == [
            ("k2", 4.5 * 3600),
            ("k1", 5 * 3600),
        ]
        answered = client.post("/v1/smile-back/k2/answered", headers=sam).json()
        clock.advance(hours=1)
        # An answered entry waited until its answer; the clock goes on for the other.
        items = client.get("/v1/smile-back", headers=AUTH).json()["items"]
        assert [(i["mention_id"], i["waiting_s"]) for i in items] == [
            ("k2", answered["waiting_s"]),
            ("k1", 6 * 3600),
        ]

        refused = client.post("/v1/smile-back/k1/dismiss", json={}, headers=sam)
        assert refused.status_code == 422
        forged = client.post(
            "/v1/smile-back/k1/dismiss",
            json={"reason": "a bot reposting our ad", "responder": "kim"},
            headers=sam,
        )
        assert forged.status_code == 403  # who dismissed comes from the key, not the body
        dismissed = client.post(
            "/v1/smile-back/k1/dismiss", json={"reason": "a bot reposting our ad"}, headers=sam
        )
        assert dismissed.status_code == 200, dismissed.text
        body = dismissed.json()
        assert (body["dismissed"], body["dismissed_by"], body["dismissed_reason"]) == (
            True,
            "sam",
            "a bot reposting our ad",
        )
        assert body["dismissed_at"].startswith(clock().isoformat()[:19])
        again = client.post("/v1/smile-back/k1/dismiss", json={"reason": "other"}, headers=sam)
        assert again.json()["dismissed_reason"] == "a bot reposting our ad"  # the first is kept
        left = client.get("/v1/smile-back", headers=AUTH).json()["items"]
        assert [i["mention_id"] for i in left] == ["k2"]
        store_queue(engine, [_kind("k1", minutes=0)])  # a redelivered item stays dismissed
        left = client.get("/v1/smile-back", headers=AUTH).json()["items"]
        assert [i["mention_id"] for i in left] == ["k2"]
        missing = client.post("/v1/smile-back/nope/dismiss", json={"reason": "x"}, headers=sam)
        assert missing.status_code == 404


class BrokenBus(InMemoryBus):
    """A bus whose broker never acknowledges."""

    def flush(self, timeout_s: float | None = None) -> None:
        raise BusError("broker down")


def test_answers_and_dismissals_are_published_for_the_digest(engine: Engine) -> None:
    store_queue(engine, [_kind("k1", minutes=0), _kind("k2", minutes=1)])
    bus = InMemoryBus(TOPICS.all())
    app = create_app(engine=engine, api_token=TOKEN, bus=bus, topics=TOPICS)
    _, sam = make_key(engine, Scope.RESPOND, responder="sam")
    with TestClient(app) as client:
        assert client.post("/v1/smile-back/k1/answered", headers=sam).status_code == 200
        dismissed = client.post("/v1/smile-back/k2/dismiss", json={"reason": "spam"}, headers=sam)
        assert dismissed.status_code == 200
    published = [decode(QueueItem, r.value) for r in bus.records(TOPICS.queues)]
    assert [(q.mention_id, q.closed) for q in published] == [
        ("k1", "answered"),
        ("k2", "dismissed"),
    ]


def test_a_dismissal_the_bus_does_not_take_is_not_stored(engine: Engine) -> None:
    store_queue(engine, [_kind("k1", minutes=0)])
    app = create_app(engine=engine, api_token=TOKEN, bus=BrokenBus(TOPICS.all()), topics=TOPICS)
    _, sam = make_key(engine, Scope.RESPOND, responder="sam")
    with TestClient(app) as client:
        refused = client.post("/v1/smile-back/k1/dismiss", json={"reason": "spam"}, headers=sam)
        assert refused.status_code == 503
        left = client.get("/v1/smile-back", headers=AUTH).json()["items"]
    assert [(i["mention_id"], i["dismissed"]) for i in left] == [("k1", False)]
