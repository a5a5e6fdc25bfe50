"""Both human queues (smile-back, triage): their order, total and cursors, and closing an
entry of one queue without touching the other."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from smileback.api.auth import Scope
from smileback.api.pagination import pack_cursor
from smileback.common.events import QueueItem, QueueName
from tests.support.builders import T0, scored
from tests.support.store import make_key, store_mentions, store_queue

PATHS = {QueueName.SMILE_BACK: "/v1/smile-back", QueueName.TRIAGE: "/v1/triage"}
# (mention id, minutes after T0 it was queued, its author's followers; None: not stored)
ENTRIES = [("q1", 1, 40), ("q2", 2, 90_000), ("q3", 3, None), ("q4", 4, 1_200), ("q5", 5, 90_000)]


def _fill(engine: Engine, queue: QueueName) -> None:
    store_mentions(
        engine,
        [scored(m, followers=followers) for m, _, followers in ENTRIES if followers is not None],
    )
    store_queue(
        engine,
        [
            QueueItem(
                mention_id=m, brand="acme", queue=queue, reason="r", at=T0 + timedelta(minutes=t)
            )
            for m, t, _ in ENTRIES
        ],
    )


def _walk(client: TestClient, path: str, auth: dict[str, str], **params: object) -> list[str]:
    """Every mention id of the listing, one page of two at a time."""
    ids: list[str] = []
    cursor = None
    while True:
        query = {**params, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(path, params=query, headers=auth).json()
        assert page["total"] == len(ENTRIES)
        ids += [item["mention_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


@pytest.mark.parametrize("queue", list(PATHS))
@pytest.mark.parametrize(
    ("sort", "order"),
    [
        (None, ["q5", "q4", "q3", "q2", "q1"]),
        ("newest", ["q5", "q4", "q3", "q2", "q1"]),
        ("waiting", ["q1", "q2", "q3", "q4", "q5"]),  # the longest wait first
        ("audience", ["q5", "q2", "q4", "q1", "q3"]),  # ties by id; a purged mention last
    ],
)
def test_each_order_pages_through_every_entry_once(
    engine: Engine,
    client: TestClient,
    auth: dict[str, str],
    queue: QueueName,
    sort: str | None,
    order: list[str],
) -> None:
    _fill(engine, queue)
    params = {"sort": sort} if sort else {}
    assert _walk(client, PATHS[queue], auth, **params) == order


@pytest.mark.parametrize("sort", ["loudest", "", "AUDIENCE"])
def test_an_unknown_order_is_refused_in_the_error_format(
    client: TestClient, auth: dict[str, str], sort: str
) -> None:
    response = client.get("/v1/triage", params={"sort": sort}, headers=auth)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    assert "sort" in response.json()["error"]["message"]


def test_a_cursor_of_another_order_is_an_invalid_cursor(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    _fill(engine, QueueName.TRIAGE)
    first = client.get("/v1/triage", params={"limit": 1, "sort": "audience"}, headers=auth)
    cursor = first.json()["next_cursor"]
    assert cursor
    for sort in ("newest", "waiting"):
        response = client.get("/v1/triage", params={"sort": sort, "cursor": cursor}, headers=auth)
        assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_cursor")


def test_the_total_counts_what_the_filters_match(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    _fill(engine, QueueName.TRIAGE)
    _, sam = make_key(engine, Scope.RESPOND, responder="sam")
    assert client.post("/v1/triage/q1/answered", headers=sam).status_code == 200
    dismissed = client.post("/v1/triage/q2/dismiss", json={"reason": "a joke"}, headers=sam)
    assert dismissed.status_code == 200
    waiting = client.get("/v1/triage", params={"answered": "false"}, headers=auth).json()
    assert (waiting["total"], len(waiting["items"])) == (3, 3)
    assert client.get("/v1/triage", params={"brand": "bolt"}, headers=auth).json()["total"] == 0
    assert client.get("/v1/smile-back", headers=auth).json()["total"] == 0


@pytest.mark.parametrize(
    "values",
    [["audience", 2**70, "q1"], ["audience", -5, "q1"], ["audience", "90000", "q1"],
     ["waiting", 5, "q1"], ["audience", 5], "audience"],
)  # fmt: skip
def test_a_forged_cursor_is_an_invalid_cursor(
    engine: Engine, client: TestClient, auth: dict[str, str], values: object
) -> None:
    _fill(engine, QueueName.SMILE_BACK)
    sort = "waiting" if isinstance(values, list) and values[0] == "waiting" else "audience"
    cursor = pack_cursor(values if isinstance(values, list) else [values])
    response = client.get("/v1/smile-back", params={"sort": sort, "cursor": cursor}, headers=auth)
    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_cursor")
