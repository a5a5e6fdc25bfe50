"""The smile-back queue: listing with the mention, and marking as answered."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from smileback.api.auth import Scope
from smileback.common.events import QueueItem, QueueName
from tests.support.builders import T0, scored
from tests.support.store import make_key, store_mentions, store_queue


def _queue(engine: Engine) -> None:
    store_mentions(engine, [scored("k1", text="Thanks @acmecoffee!", negativity=0.05)])
    store_queue(
        engine,
        [
            QueueItem(
                mention_id=f"k{i}",
                brand="acme" if i < 3 else "bolt",
                queue=QueueName.SMILE_BACK,
                reason="kind words",
                at=T0 + timedelta(minutes=i),
            )
            for i in range(1, 5)
        ]
        + [
            QueueItem(
                mention_id="t1", brand="acme", queue=QueueName.TRIAGE, reason="negative", at=T0
            )
        ],
    )


def test_the_queue_newest_first_with_its_mentions(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    _queue(engine)
    page = client.get("/v1/smile-back", params={"answered": "false"}, headers=auth).json()
    assert [i["mention_id"] for i in page["items"]] == ["k4", "k3", "k2", "k1"]  # no triage
    first = page["items"][-1]
    assert first["mention"]["text"] == "Thanks @acmecoffee!"
    assert page["items"][0]["mention"] is None  # not (or no longer) stored
    acme = client.get("/v1/smile-back", params={"brand": "acme", "limit": 1}, headers=auth).json()
    assert [i["mention_id"] for i in acme["items"]] == ["k2"]
    assert acme["next_cursor"]


def test_mark_answered(engine: Engine, client: TestClient, auth: dict[str, str]) -> None:
    _queue(engine)
    _, sam = make_key(engine, Scope.RESPOND, responder="sam")
    _, kim = make_key(engine, Scope.RESPOND, responder="kim")
    response = client.post("/v1/smile-back/k1/answered", headers=sam)  # the key says who
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["answered"], body["answered_by"]) == (True, "sam")
    assert body["answered_at"]
    again = client.post("/v1/smile-back/k1/answered", headers=kim)
    assert again.json()["answered_by"] == "sam"  # the first answer is kept
    waiting = client.get("/v1/smile-back", params={"answered": False}, headers=auth).json()
    assert "k1" not in [i["mention_id"] for i in waiting["items"]]
    done = client.get("/v1/smile-back", params={"answered": True}, headers=auth).json()
    assert [i["mention_id"] for i in done["items"]] == ["k1"]


def test_answered_by_comes_from_the_key(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    _queue(engine)
    _, sam = make_key(engine, Scope.RESPOND, responder="sam")
    forged = client.post("/v1/smile-back/k1/answered", json={"responder": "kim"}, headers=sam)
    assert (forged.status_code, forged.json()["error"]["code"]) == (403, "forbidden")
    assert client.post("/v1/smile-back/k1/answered", headers=auth).status_code == 403  # nobody
    for_kim = client.post("/v1/smile-back/k1/answered", json={"on_behalf_of": "kim"}, headers=auth)
    assert for_kim.json()["answered_by"] == "kim"


def test_mark_answered_needs_a_queued_mention(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    _queue(engine)
    _, sam = make_key(engine, Scope.RESPOND, responder="sam")
    for mention_id in ("nope", "t1"):  # unknown, or in the triage queue only
        response = client.post(f"/v1/smile-back/{mention_id}/answered", headers=sam)
        assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")


def test_ids_with_slashes(engine: Engine, client: TestClient, auth: dict[str, str]) -> None:
    mention_id = "bluesky:at://did:plc:abc/app.bsky.feed.post/3k"
    store_queue(
        engine,
        [
            QueueItem(
                mention_id=mention_id, brand="acme", queue=QueueName.SMILE_BACK, reason="r", at=T0
            )
        ],
    )
    encoded = mention_id.replace("/", "%2F").replace(":", "%3A")
    _, sam = make_key(engine, Scope.RESPOND, responder="sam")
    response = client.post(f"/v1/smile-back/{encoded}/answered", headers=sam)
    assert response.status_code == 200, response.text
    assert response.json()["mention_id"] == mention_id
