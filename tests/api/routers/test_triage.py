"""The triage queue: listing with the mention, and closing an entry."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from smileback.api.auth import Scope
from smileback.common.events import QueueItem, QueueName
from tests.support.builders import T0, scored
from tests.support.store import make_key, store_mentions, store_queue


def _queue(engine: Engine) -> None:
    store_mentions(engine, [scored("t1", text="@acmecoffee cold latte again", negativity=0.7)])
    store_queue(
        engine,
        [
            QueueItem(
                mention_id="t1",
                brand="acme",
                queue=QueueName.TRIAGE,
                reason="negativity 0.70, reach micro",
                at=T0,
            ),
            QueueItem(
                mention_id="k1",
                brand="acme",
                queue=QueueName.SMILE_BACK,
                reason="kind, addressed to us",
                at=T0 + timedelta(minutes=1),
            ),
        ],
    )


def test_the_triage_queue_lists_its_entries_only_with_their_mentions(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    _queue(engine)
    page = client.get("/v1/triage", headers=auth).json()
    assert [i["mention_id"] for i in page["items"]] == ["t1"]
    assert (page["total"], page["next_cursor"]) == (1, None)
    item = page["items"][0]
    assert item["mention"]["text"] == "@acmecoffee cold latte again"
    assert item["reason"] == "negativity 0.70, reach micro"
    assert client.get("/v1/triage").status_code == 401


def test_closing_a_triage_entry_keeps_who_and_why(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    _queue(engine)
    _, sam = make_key(engine, Scope.RESPOND, responder="sam")
    dismissed = client.post("/v1/triage/t1/dismiss", json={"reason": "a joke"}, headers=sam)
    assert dismissed.status_code == 200, dismissed.text
    body = dismissed.json()
    assert (body["dismissed"], body["dismissed_by"], body["dismissed_reason"]) == (
        True,
        "sam",
        "a joke",
    )
    assert client.get("/v1/triage", headers=auth).json()["items"] == []
    _, reader = make_key(engine, Scope.READ, responder="kim")
    assert client.post("/v1/triage/t1/answered", headers=reader).status_code == 403


def test_a_smile_back_entry_is_not_closed_through_triage(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    _queue(engine)
    _, sam = make_key(engine, Scope.RESPOND, responder="sam")
    response = client.post("/v1/triage/k1/answered", headers=sam)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    answered = client.post("/v1/triage/t1/answered", headers=sam).json()
    assert (answered["answered"], answered["answered_by"]) == (True, "sam")
    assert (
        client.get("/v1/smile-back", params={"answered": "false"}, headers=auth).json()["total"]
        == 1
    )
