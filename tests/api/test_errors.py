"""Bodies that are not JSON are a 400, bodies of the wrong shape a 422, both in the one shape."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    "body",
    [b'{"query": ', b"{'query': 'acme'}", b'{"query": "acme"', b"nul\x00", b"\xff\xfe{}"],
    ids=["cut-short", "single-quotes", "unclosed", "not-json", "stray-bytes"],
)
def test_a_body_that_is_not_json_is_a_400(
    client: TestClient, auth: dict[str, str], body: bytes
) -> None:
    response = client.post("/v1/rules/check", content=body, headers={**auth, **JSON})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "bad_request"
    assert error["message"]


def test_invalid_utf8_inside_a_json_string_is_a_400(
    client: TestClient, auth: dict[str, str]
) -> None:
    response = client.post(
        "/v1/rules/check", content=b'{"query": "acme \xc3\x28"}', headers={**auth, **JSON}
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize("body", [b"[1, 2]", b'"acme"', b"{}", b'{"query": 5}'])
def test_json_of_the_wrong_shape_is_a_422(
    client: TestClient, auth: dict[str, str], body: bytes
) -> None:
    response = client.post("/v1/rules/check", content=body, headers={**auth, **JSON})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_request"
