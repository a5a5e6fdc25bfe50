"""Brands and their rules: create, read, update, delete; rule errors at their position."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    return error


def test_brand_lifecycle(client: TestClient, auth: dict[str, str]) -> None:
    created = client.post(
        "/v1/brands",
        json={
            "name": "acme",
            "description": "Acme Coffee",
            "rules": [{"query": '"acme coffee" OR @acmecoffee', "description": "main"}],
        },
        headers=auth,
    )
    assert created.status_code == 201, created.text
    brand = created.json()
    assert (brand["name"], brand["description"]) == ("acme", "Acme Coffee")
    (rule,) = brand["rules"]
    assert (rule["query"], rule["normalized"]) == (
        '"acme coffee" OR @acmecoffee',
        '"acme coffee" OR @acmecoffee',
    )
    _error(client.post("/v1/brands", json={"name": "acme"}, headers=auth), 409, "conflict")
    assert client.get("/v1/brands/acme", headers=auth).json() == brand
    updated = client.put("/v1/brands/acme", json={"description": "Acme"}, headers=auth)
    assert updated.json()["description"] == "Acme"
    assert updated.json()["created_at"] == brand["created_at"]
    client.post("/v1/brands", json={"name": "bolt"}, headers=auth)
    listed = client.get("/v1/brands", headers=auth).json()
    assert [b["name"] for b in listed["items"]] == ["bolt", "acme"]
    assert (listed["total"], listed["next_cursor"]) == (2, None)
    first = client.get("/v1/brands", params={"limit": 1}, headers=auth).json()
    assert ([b["name"] for b in first["items"]], first["total"]) == (["bolt"], 2)
    assert first["next_cursor"] is not None
    assert listed["items"][1]["rules"][0]["id"] == rule["id"]
    deleted = client.delete("/v1/brands/acme", headers=auth)
    assert (deleted.status_code, deleted.content) == (204, b"")
    _error(client.get("/v1/brands/acme", headers=auth), 404, "not_found")
    _error(client.get(f"/v1/brands/acme/rules/{rule['id']}", headers=auth), 404, "not_found")


def test_rule_lifecycle(client: TestClient, auth: dict[str, str]) -> None:
    client.post("/v1/brands", json={"name": "acme"}, headers=auth)
    created = client.post(
        "/v1/brands/acme/rules", json={"query": "acme   coffee NOT #ad"}, headers=auth
    )
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule["normalized"] == "acme AND coffee AND NOT #ad"
    path = f"/v1/brands/acme/rules/{rule['id']}"
    assert client.get(path, headers=auth).json() == rule
    updated = client.put(path, json={"query": "@acmecoffee", "description": "d"}, headers=auth)
    assert (updated.json()["query"], updated.json()["description"]) == ("@acmecoffee", "d")
    listed = client.get("/v1/brands/acme/rules", headers=auth).json()
    assert [r["id"] for r in listed["items"]] == [rule["id"]]
    assert (listed["total"], listed["next_cursor"]) == (1, None)
    assert client.delete(path, headers=auth).status_code == 204
    _error(client.get(path, headers=auth), 404, "not_found")
    _error(client.get("/v1/brands/nope/rules", headers=auth), 404, "not_found")
    _error(
        client.post("/v1/brands/nope/rules", json={"query": "x"}, headers=auth), 404, "not_found"
    )


def test_a_rule_belongs_to_its_brand(client: TestClient, auth: dict[str, str]) -> None:
    for name in ("acme", "bolt"):
        client.post("/v1/brands", json={"name": name}, headers=auth)
    rule = client.post("/v1/brands/acme/rules", json={"query": "x"}, headers=auth).json()
    _error(client.get(f"/v1/brands/bolt/rules/{rule['id']}", headers=auth), 404, "not_found")


@pytest.mark.parametrize(
    ("path", "method", "body", "message", "position"),
    [
        (
            "/v1/brands/acme/rules",
            "post",
            {"query": '"acme coffee" AND (refund'},
            "query: '(' is never closed at position 18",
            18,
        ),
        (
            "/v1/brands",
            "post",
            {"name": "bolt", "rules": [{"query": "ok"}, {"query": "bolt AND"}]},
            "rules[1].query: expected a term after AND, found the end at position 8",
            8,
        ),
    ],
)
def test_rule_syntax_errors_carry_their_position(
    client: TestClient,
    auth: dict[str, str],
    path: str,
    method: str,
    body: dict[str, Any],
    message: str,
    position: int,
) -> None:
    client.post("/v1/brands", json={"name": "acme"}, headers=auth)
    error = _error(client.request(method, path, json=body, headers=auth), 422, "invalid_rule")
    assert error == {"code": "invalid_rule", "message": message, "position": position}
    _error(client.get("/v1/brands/bolt", headers=auth), 404, "not_found")  # nothing stored


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Acme"},
        {"name": "-acme"},
        {"name": "a" * 65},
        {"name": "acme", "surprise": 1},
        {"name": "acme", "rules": [{"query": ""}]},
        {"name": "acme", "rules": [{"query": "x"}] * 51},
    ],
)
def test_bad_brand_bodies_are_422(
    client: TestClient, auth: dict[str, str], body: dict[str, Any]
) -> None:
    _error(client.post("/v1/brands", json=body, headers=auth), 422, "invalid_request")


def test_check_a_rule_without_storing_it(client: TestClient, auth: dict[str, str]) -> None:
    ok = client.post(
        "/v1/rules/check",
        json={"query": "acme AND NOT #ad", "text": "Acme rocks #AD"},
        headers=auth,
    ).json()
    assert ok == {
        "valid": True,
        "normalized": "acme AND NOT #ad",
        "error": None,
        "position": None,
        "matches": False,
    }
    bad = client.post("/v1/rules/check", json={"query": "acme OR"}, headers=auth).json()
    assert (bad["valid"], bad["position"], bad["matches"]) == (False, 7, None)
    assert bad["error"] == "expected a term after OR, found the end at position 7"
