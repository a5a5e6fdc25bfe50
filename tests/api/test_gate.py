"""The token is checked before the body is read, and failing clients are throttled."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from smileback.api.app import ApiOptions, create_app
from smileback.api.gate import client_address
from smileback.common.errors import ConfigError
from tests.support.api_fixtures import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON = {"Content-Type": "application/json"}
WRONG = {"Authorization": "Bearer sbk_000000000000_" + "x" * 43}
PROXY = "10.1.2.3"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _app_client(engine: Engine, clock: FakeClock, peer: str = "192.0.2.10") -> TestClient:
    app = create_app(
        engine=engine,
        api_token=TOKEN,
        monotonic=clock,
        options=ApiOptions(
            max_body_bytes=2048,
            auth_failures_per_s=0.5,
            auth_failure_burst=3,
            trusted_proxies=(f"{PROXY}/32",),
        ),
    )
    return TestClient(app, client=(peer, 40000))


@pytest.fixture
def gated(engine: Engine, clock: FakeClock) -> Iterator[TestClient]:
    with _app_client(engine, clock) as client:
        yield client


@pytest.mark.parametrize("headers", [{}, WRONG, {"Authorization": "Basic dXNlcjpwdw=="}])
@pytest.mark.parametrize(
    "body",
    [b'{"query": ', b"\xff\xfe", b'{"query": "' + b"a" * 10_000 + b'"}', b"[]"],
    ids=["malformed", "not-utf8", "too-large", "wrong-shape"],
)
def test_a_stranger_gets_401_whatever_the_body(
    engine: Engine, headers: dict[str, str], body: bytes
) -> None:
    with TestClient(create_app(engine=engine, api_token=TOKEN)) as client:
        response = client.post("/v1/rules/check", content=body, headers={**headers, **JSON})
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_stranger_streaming_a_huge_body_gets_401(engine: Engine) -> None:
    def chunks() -> Iterator[bytes]:
        yield from (b"x" * 65536 for _ in range(64))

    with TestClient(create_app(engine=engine, api_token=TOKEN)) as client:
        response = client.post("/v1/rules/check", content=chunks(), headers=JSON)
    assert response.status_code == 401


def test_with_the_token_the_body_is_still_checked(gated: TestClient) -> None:
    assert gated.post("/v1/rules/check", content=b"{", headers={**AUTH, **JSON}).status_code == 400
    big = b'{"query": "' + b"a" * 4000 + b'"}'
    assert gated.post("/v1/rules/check", content=big, headers={**AUTH, **JSON}).status_code == 413


def test_a_client_failing_too_often_gets_429_even_with_the_right_token(
    gated: TestClient, clock: FakeClock
) -> None:
    assert [gated.get("/v1/ping", headers=WRONG).status_code for _ in range(3)] == [401] * 3
    refused = gated.get("/v1/ping", headers=AUTH)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["retry-after"]) >= 1
    # Its bucket refills at 0.5 a second: two seconds later one more try is allowed.
    clock.now += 2.0
    assert gated.get("/v1/ping", headers=AUTH).status_code == 200


def test_the_throttle_is_per_client(engine: Engine, clock: FakeClock) -> None:
    with _app_client(engine, clock, peer="192.0.2.10") as one:
        for _ in range(3):
            one.get("/v1/ping", headers=WRONG)
        assert one.get("/v1/ping", headers=WRONG).status_code == 429
    with _app_client(engine, clock, peer="192.0.2.11") as other:
        assert other.get("/v1/ping", headers=AUTH).status_code == 200


def test_behind_a_trusted_proxy_the_forwarded_client_is_throttled(
    engine: Engine, clock: FakeClock
) -> None:
    with _app_client(engine, clock, peer=PROXY) as proxy:
        # What the client wrote itself (left of the proxy's own entry) is not believed.
        for spoofed in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
            headers = {**WRONG, "X-Forwarded-For": f"{spoofed}, 203.0.113.7"}
            assert proxy.get("/v1/ping", headers=headers).status_code == 401
        limited = {**AUTH, "X-Forwarded-For": "203.0.113.7"}
        assert proxy.get("/v1/ping", headers=limited).status_code == 429
        other = {**AUTH, "X-Forwarded-For": "203.0.113.8"}
        assert proxy.get("/v1/ping", headers=other).status_code == 200


def _scope(peer: str, forwarded: str | None) -> dict[str, object]:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
    return {"type": "http", "client": (peer, 1), "headers": headers}


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("192.0.2.1", "203.0.113.7", "192.0.2.1"),  # an untrusted peer's header is ignored
        (PROXY, None, PROXY),
        (PROXY, "203.0.113.7", "203.0.113.7"),
        (PROXY, "1.1.1.1, 203.0.113.7", "203.0.113.7"),
        (PROXY, f"203.0.113.7, {PROXY}", "203.0.113.7"),  # two trusted hops
        (PROXY, "not-an-address", "not-an-address"),
    ],
)
def test_client_address(peer: str, forwarded: str | None, expected: str) -> None:
    trusted = [ipaddress.ip_network(f"{PROXY}/32")]
    assert client_address(_scope(peer, forwarded), trusted) == expected


def test_a_trusted_proxy_that_is_no_address_is_a_config_error(engine: Engine) -> None:
    with pytest.raises(ConfigError, match="SMILEBACK_API_TRUSTED_PROXIES"):
        create_app(engine=engine, api_token=TOKEN, options=ApiOptions(trusted_proxies=("lb",)))
