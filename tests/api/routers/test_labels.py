"""Labels on mentions: recorded as the key's responder, idempotent, listed, exported as JSON
lines that `smileback train --labels` reads; bad input refused in the API's error shape."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from smileback.api.auth import Scope
from smileback.api.store import purge_before
from smileback.common.mention_labels import LabelRecord, MentionLabel
from tests.support.builders import T0, scored, tombstone
from tests.support.store import make_key, store_mentions


def _mentions(engine: Engine) -> None:
    store_mentions(
        engine,
        [
            scored("m1", text="see you at Acme Coffee then", negativity=0.1),
            scored("m2", text="Acme, third cold latte this week. Great.", negativity=0.2),
            scored("m3", text="Bolt never again", brand="bolt"),
        ],
    )


def _label(client: TestClient, headers: dict[str, str], mention_id: str, label: str) -> dict:
    response = client.post(
        f"/v1/mentions/{mention_id}/labels", json={"label": label}, headers=headers
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


def test_a_label_is_recorded_as_the_keys_responder(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    _mentions(engine)
    _, sam = make_key(engine, Scope.RESPOND, responder="sam")
    response = client.post("/v1/mentions/m1/labels", json={"label": "not_for_us"}, headers=sam)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["mention_id"], body["label"], body["responder"]) == ("m1", "not_for_us", "sam")
    assert (body["brand"], body["text"]) == ("acme", "see you at Acme Coffee then")

    forged = client.post(
        "/v1/mentions/m1/labels", json={"label": "not_for_us", "responder": "kim"}, headers=sam
    )
    assert (forged.status_code, forged.json()["error"]["code"]) == (403, "forbidden")
    nobody = client.post("/v1/mentions/m1/labels", json={"label": "not_for_us"}, headers=auth)
    assert nobody.status_code == 403  # the admin token belongs to no responder
    for_kim = client.post(
        "/v1/mentions/m1/labels", json={"label": "not_for_us", "on_behalf_of": "kim"}, headers=auth
    )
    assert (for_kim.status_code, for_kim.json()["responder"]) == (201, "kim")
    _, reader = make_key(engine, Scope.READ, responder="ria")
    read_only = client.post("/v1/mentions/m1/labels", json={"label": "not_for_us"}, headers=reader)
    assert read_only.status_code == 403


def test_the_same_label_twice_is_kept_once_at_its_latest_time(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    _mentions(engine)
    _, sam = make_key(engine, Scope.RESPOND, responder="sam")
    first = _label(client, sam, "m2", "missed_complaint")
    again = client.post("/v1/mentions/m2/labels", json={"label": "missed_complaint"}, headers=sam)
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert again.json()["at"] > first["at"]
    other = _label(client, sam, "m2", "not_a_complaint")  # another label is another record
    assert other["id"] != first["id"]
    listed = client.get("/v1/mentions/labels", params={"mention_id": "m2"}, headers=auth).json()
    assert [(i["label"], i["responder"]) for i in listed["items"]] == [
        ("not_a_complaint", "sam"),
        ("missed_complaint", "sam"),
    ]


def test_the_listing_filters_and_pages_newest_first(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    _mentions(engine)
    _, sam = make_key(engine, Scope.RESPOND, responder="sam")
    _, kim = make_key(engine, Scope.RESPOND, responder="kim")
    _label(client, sam, "m1", "not_for_us")
    _label(client, kim, "m2", "missed_complaint")
    _label(client, sam, "m3", "missed_complaint")

    def listed(**params: str) -> list[str]:
        page = client.get("/v1/mentions/labels", params=params, headers=auth)
        assert page.status_code == 200, page.text
        return [item["mention_id"] for item in page.json()["items"]]

    assert listed() == ["m3", "m2", "m1"]
    assert listed(label="missed_complaint") == ["m3", "m2"]
    assert listed(brand="acme") == ["m2", "m1"]
    assert listed(responder="sam") == ["m3", "m1"]
    first = client.get("/v1/mentions/labels", params={"limit": 2}, headers=auth).json()
    assert [i["mention_id"] for i in first["items"]] == ["m3", "m2"]
    assert first["total"] == 3
    only = {"label": "missed_complaint", "limit": 1}
    assert client.get("/v1/mentions/labels", params=only, headers=auth).json()["total"] == 2
    rest = client.get(
        "/v1/mentions/labels", params={"limit": 2, "cursor": first["next_cursor"]}, headers=auth
    ).json()
    assert ([i["mention_id"] for i in rest["items"]], rest["next_cursor"]) == (["m1"], None)
    assert rest["total"] == 3


def test_the_export_is_one_label_record_per_line_without_redacted_text(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    _mentions(engine)
    _, sam = make_key(engine, Scope.RESPOND, responder="sam")
    _label(client, sam, "m1", "not_for_us")
    _label(client, sam, "m2", "missed_complaint")
    _label(client, sam, "m3", "not_a_complaint")
    store_mentions(engine, [tombstone("m3")])  # its author deleted it

    response = client.get("/v1/mentions/labels.jsonl", headers=auth)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    records = [LabelRecord.model_validate_json(line) for line in response.text.splitlines()]
    assert [(r.mention_id, r.label, r.responder) for r in records] == [
        ("m2", MentionLabel.MISSED_COMPLAINT, "sam"),
        ("m1", MentionLabel.NOT_FOR_US, "sam"),
    ]
    assert records[0].text == "Acme, third cold latte this week. Great."
    assert records[0].brand == "acme"
    listed = client.get("/v1/mentions/labels", params={"mention_id": "m3"}, headers=auth).json()
    assert [i["redacted"] for i in listed["items"]] == [True]  # listed, but not exported

    only = client.get("/v1/mentions/labels.jsonl", params={"label": "not_for_us"}, headers=auth)
    assert [json.loads(line)["mention_id"] for line in only.text.splitlines()] == ["m1"]
    assert client.get("/v1/mentions/labels.jsonl").status_code == 401


def test_bad_labels_and_unknown_mentions_are_refused(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    _mentions(engine)
    _, sam = make_key(engine, Scope.RESPOND, responder="sam")
    unknown = client.post("/v1/mentions/nope/labels", json={"label": "not_for_us"}, headers=sam)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "not_found")
    for body in ({"label": "spam"}, {}, {"label": "not_for_us", "note": "x"}, {"label": 3}):
        bad = client.post("/v1/mentions/m1/labels", json=body, headers=sam)
        assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_request"), body
    not_json = client.post(
        "/v1/mentions/m1/labels",
        content=b"{label",
        headers={**sam, "Content-Type": "application/json"},
    )
    assert (not_json.status_code, not_json.json()["error"]["code"]) == (400, "bad_request")
    wrong = client.get("/v1/mentions/labels", params={"label": "spam"}, headers=auth)
    assert wrong.status_code == 422
    backwards = client.get(
        "/v1/mentions/labels.jsonl",
        params={"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
        headers=auth,
    )
    assert backwards.status_code == 422
    assert client.get("/v1/mentions/labels", headers=auth).json()["items"] == []


def test_ids_with_slashes_and_the_mention_itself_still_answers(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    mention_id = "bluesky:at://did:plc:abc/app.bsky.feed.post/3k"
    store_mentions(engine, [scored(mention_id)])
    _, sam = make_key(engine, Scope.RESPOND, responder="sam")
    encoded = mention_id.replace("/", "%2F").replace(":", "%3A")
    response = client.post(
        f"/v1/mentions/{encoded}/labels", json={"label": "not_a_complaint"}, headers=sam
    )
    assert response.status_code == 201, response.text
    assert response.json()["mention_id"] == mention_id
    assert client.get(f"/v1/mentions/{encoded}", headers=auth).json()["id"] == mention_id


def test_a_purged_mention_takes_its_labels_with_it(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    _mentions(engine)
    _, sam = make_key(engine, Scope.RESPOND, responder="sam")
    _label(client, sam, "m1", "not_for_us")
    report = purge_before(engine=engine, before=T0 + timedelta(days=1))
    assert report.mentions == 3
    assert client.get("/v1/mentions/labels", headers=auth).json()["items"] == []
