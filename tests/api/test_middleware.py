"""Request limits and cross-origin policy: body size, CORS off unless configured, Kafka probe;
the headers of API answers, no Host-built redirects, docs off unless configured."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from smileback.api.app import ApiOptions, create_app
from smileback.api.runner import api_options
from smileback.api.settings import ApiSettings
from smileback.common.probes import KafkaProbe
from tests.support.api_fixtures import TOKEN
from tests.support.infra import free_ports

AUTH = {"Authorization": f"Bearer {TOKEN}"}
ORIGIN = "https://dash.example"


def test_cors_is_off_by_default(client: TestClient) -> None:
    response = client.get("/v1/mentions", headers={**AUTH, "Origin": ORIGIN})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    preflight = client.options(
        "/v1/mentions",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_allows_only_the_configured_origins(engine: Engine) -> None:
    app = create_app(engine=engine, api_token=TOKEN, options=ApiOptions(cors_origins=(ORIGIN,)))
    with TestClient(app) as client:
        preflight = client.options(
            "/v1/incidents/inc_1/acknowledge",
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == ORIGIN
        allowed = client.get("/v1/mentions", headers={**AUTH, "Origin": ORIGIN})
        assert allowed.headers["access-control-allow-origin"] == ORIGIN
        other = client.get("/v1/mentions", headers={**AUTH, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_the_body_limit_is_configurable(engine: Engine) -> None:
    app = create_app(engine=engine, api_token=TOKEN, options=ApiOptions(max_body_bytes=2048))
    with TestClient(app) as client:
        small = client.post("/v1/rules/check", json={"query": "a" * 1000}, headers=AUTH)
        assert small.status_code == 200
        big = client.post("/v1/rules/check", json={"query": "a", "text": "b" * 2048}, headers=AUTH)
    assert big.status_code == 413
    assert big.json()["error"]["code"] == "payload_too_large"


def test_the_kafka_probe_answers_quickly_when_nothing_listens() -> None:
    (port,) = free_ports(count=1)
    probe = KafkaProbe(
        bootstrap=f"127.0.0.1:{port}", topics=["t"], client_id="smileback-tests", timeout_s=0.5
    )
    started = time.monotonic()
    assert (probe() or "").startswith("unavailable")
    assert time.monotonic() - started < 5
    probe.close()


def test_every_api_answer_has_no_store_and_nosniff(engine: Engine) -> None:
    app = create_app(engine=engine, api_token=TOKEN, options=ApiOptions(max_body_bytes=2048))
    with TestClient(app, raise_server_exceptions=False) as client:
        answers = {
            "ok": client.get("/v1/mentions", headers=AUTH),
            "unauthorized": client.get("/v1/mentions"),
            "not found": client.get("/v1/incidents/nope", headers=AUTH),
            "unknown path": client.get("/v1/nowhere", headers=AUTH),
            "bad request": client.post(
                "/v1/rules/check",
                content=b"{",
                headers={**AUTH, "Content-Type": "application/json"},
            ),
            "invalid": client.get("/v1/mentions", params={"limit": 0}, headers=AUTH),
            "too large": client.post(
                "/v1/rules/check", content=b"x" * 4096, headers={**AUTH, "Content-Length": "4096"}
            ),
            "nul": client.get("/v1/mentions/a%00b", headers=AUTH),
        }
    for what, response in answers.items():
        assert response.headers.get("cache-control") == "no-store", what
        assert response.headers.get("x-content-type-options") == "nosniff", what
    assert {what: r.status_code for what, r in answers.items()} == {
        "ok": 200,
        "unauthorized": 401,
        "not found": 404,
        "unknown path": 404,
        "bad request": 400,
        "invalid": 422,
        "too large": 413,
        "nul": 422,
    }


def test_a_forged_host_never_becomes_a_redirect(client: TestClient) -> None:
    for path in ("/console/static/console.js/", "/healthz/", "/v1/mentions/", "/console/"):
        response = client.get(
            path, headers={**AUTH, "Host": "evil.example"}, follow_redirects=False
        )
        assert "location" not in response.headers, (path, response.headers)
        assert not 300 <= response.status_code < 400, path


def test_docs_are_off_unless_asked_for(engine: Engine) -> None:
    with TestClient(create_app(engine=engine, api_token=TOKEN)) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/redoc").status_code == 404
        assert client.get("/openapi.json").status_code == 200
    app = create_app(engine=engine, api_token=TOKEN, options=ApiOptions(docs=True))
    with TestClient(app) as client:
        assert "swagger-ui" in client.get("/docs").text


def test_the_options_follow_the_settings() -> None:
    options = api_options(
        ApiSettings(
            api_docs=True,
            api_trusted_proxies=["10.0.0.0/8"],
            api_auth_failures_per_s=0.25,
            api_auth_failure_burst=4,
        )
    )
    assert options.docs is True
    assert options.trusted_proxies == ("10.0.0.0/8",)
    assert (options.auth_failures_per_s, options.auth_failure_burst) == (0.25, 4)
