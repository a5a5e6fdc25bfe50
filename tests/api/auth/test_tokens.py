"""API keys, scopes and rate limits: 401 (who are you?) vs 403 (not allowed) vs 429 (slow down)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from smileback.api.app import ApiOptions, create_app
from smileback.api.auth import (
    RateLimiter,
    Scope,
    hash_token,
    key_id_of,
    new_key_id,
    new_token,
    token_matches,
    weak_admin_token,
)
from smileback.api.store import ApiKeyRow, revoke_key
from tests.support.api_fixtures import TOKEN
from tests.support.store import make_key, opened_incident

ACK = {"responder": "sam"}


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _code(response: Any) -> str:
    return str(response.json()["error"]["code"])


# --- tokens, scopes, the bucket (pure) --------------------------------------------------------


def test_tokens_carry_their_key_id_and_only_a_hash_is_compared() -> None:
    key_id = new_key_id()
    token = new_token(key_id)
    assert token.startswith(f"sbk_{key_id}_")
    assert key_id_of(token) == key_id
    assert token_matches(token, stored_hash=hash_token(token))
    assert not token_matches(token + "x", stored_hash=hash_token(token))
    assert new_token(key_id) != token
    for bad in ("", "sbk_", f"sbk_{key_id}", f"xyz_{key_id}_{'a' * 43}", token + "="):
        assert key_id_of(bad) is None


def test_scopes_include_the_ones_before_them() -> None:
    assert Scope.ADMIN.allows(Scope.RESPOND)
    assert Scope.ADMIN.allows(Scope.READ)
    assert Scope.RESPOND.allows(Scope.READ)
    assert not Scope.RESPOND.allows(Scope.ADMIN)
    assert not Scope.READ.allows(Scope.RESPOND)


def test_the_bucket_allows_a_burst_then_the_rate() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(rate_per_s=2.0, burst=3, clock=clock)
    assert [limiter.take("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("k") == pytest.approx(0.5)
    assert limiter.take("other") == 0.0  # buckets are per key
    clock.now += 0.5
    assert limiter.take("k") == 0.0
    assert limiter.take("k") == pytest.approx(0.5)
    clock.now += 60
    assert [limiter.take("k") for _ in range(4)][-1] > 0  # refills only up to the burst


def test_the_bucket_refuses_nonsense_settings() -> None:
    with pytest.raises(ValueError, match="rate_per_s"):
        RateLimiter(rate_per_s=0, burst=1, clock=FakeMonotonic())


# --- through the app ------------------------------------------------------------------------


def test_no_token_is_401_and_a_read_key_reads(engine: Engine, client: TestClient) -> None:
    response = client.get("/v1/incidents")
    assert (response.status_code, _code(response)) == (401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"
    _key_id, reader = make_key(engine, Scope.READ, name="dashboard")
    assert client.get("/v1/incidents", headers=reader).status_code == 200
    assert client.get("/v1/ping", headers=reader).json() == {
        "ok": True,
        "key_id": _key_id,
        "name": "dashboard",
        "scope": "read",
        "responder": None,
    }


def test_a_wrong_scope_is_403_not_401(engine: Engine, client: TestClient) -> None:
    opened_incident(engine)
    _, reader = make_key(engine, Scope.READ)
    _, responder = make_key(engine, Scope.RESPOND, responder="sam")
    response = client.post("/v1/incidents/inc_1/acknowledge", json=ACK, headers=reader)
    assert (response.status_code, _code(response)) == (403, "forbidden")
    assert "respond" in response.json()["error"]["message"]
    forbidden = client.post("/v1/brands", json={"name": "acme"}, headers=responder)
    assert (forbidden.status_code, _code(forbidden)) == (403, "forbidden")
    acked = client.post("/v1/incidents/inc_1/acknowledge", json=ACK, headers=responder)
    assert acked.status_code == 200, acked.text


def test_the_bootstrap_token_is_admin(engine: Engine, client: TestClient, auth: dict) -> None:
    opened_incident(engine)
    assert client.get("/v1/ping", headers=auth).json()["scope"] == "admin"
    assert client.post("/v1/brands", json={"name": "acme"}, headers=auth).status_code == 201
    # It belongs to no responder: it acts only on someone's behalf, and says so.
    alone = client.post("/v1/incidents/inc_1/acknowledge", json=ACK, headers=auth)
    assert (alone.status_code, _code(alone)) == (403, "forbidden")
    ack = client.post("/v1/incidents/inc_1/acknowledge", json={"on_behalf_of": "sam"}, headers=auth)
    assert ack.status_code == 200
    assert ack.json()["event"]["on_behalf_of"] == "sam"
    assert ack.json()["event"]["key_id"] == "bootstrap"


def test_a_revoked_key_is_401_at_once(engine: Engine, client: TestClient) -> None:
    key_id, reader = make_key(engine, Scope.READ)
    assert client.get("/v1/mentions", headers=reader).status_code == 200
    with Session(engine) as session, session.begin():
        revoke_key(session=session, key_id=key_id, now=datetime.now(UTC))
    response = client.get("/v1/mentions", headers=reader)
    assert (response.status_code, _code(response)) == (401, "unauthorized")
    assert "revoked" in response.json()["error"]["message"]


def test_an_expired_key_is_401(engine: Engine, client: TestClient) -> None:
    past = datetime.now(UTC) - timedelta(seconds=1)
    _, expired = make_key(engine, Scope.ADMIN, expires_at=past)
    _, current = make_key(engine, Scope.READ, expires_at=past + timedelta(days=1))
    response = client.get("/v1/mentions", headers=expired)
    assert (response.status_code, _code(response)) == (401, "unauthorized")
    assert "expired" in response.json()["error"]["message"]
    assert client.get("/v1/mentions", headers=current).status_code == 200


def test_a_forged_token_for_a_real_key_id_is_401(engine: Engine, client: TestClient) -> None:
    key_id, _ = make_key(engine, Scope.ADMIN)
    forged = {"Authorization": f"Bearer {new_token(key_id)}"}
    assert client.get("/v1/mentions", headers=forged).status_code == 401


def test_only_the_hash_is_stored(engine: Engine) -> None:
    _, header = make_key(engine, Scope.READ)
    token = header["Authorization"].removeprefix("Bearer ")
    with Session(engine) as session:
        row = session.scalars(select(ApiKeyRow)).one()
    assert row.token_sha256 == hash_token(token)
    assert token not in str({c.key: getattr(row, c.key) for c in ApiKeyRow.__table__.columns})


@pytest.fixture
def limited(engine: Engine) -> Iterator[tuple[TestClient, FakeMonotonic]]:
    clock = FakeMonotonic()
    app = create_app(
        engine=engine,
        api_token=TOKEN,
        options=ApiOptions(rate_per_s=1.0, rate_burst=2),
        monotonic=clock,
    )
    with TestClient(app) as client:
        yield client, clock


def test_rate_limit_exceeded_is_429_with_retry_after_per_key(
    engine: Engine, limited: tuple[TestClient, FakeMonotonic]
) -> None:
    client, clock = limited
    _, first = make_key(engine, Scope.READ)
    _, second = make_key(engine, Scope.READ)
    assert [client.get("/v1/mentions", headers=first).status_code for _ in range(2)] == [200, 200]
    refused = client.get("/v1/mentions", headers=first)
    assert (refused.status_code, _code(refused)) == (429, "rate_limited")
    assert refused.headers["retry-after"] == "1"
    assert client.get("/v1/mentions", headers=second).status_code == 200  # its own bucket
    clock.now += 1.0
    assert client.get("/v1/mentions", headers=first).status_code == 200
    assert client.get("/v1/mentions").status_code == 401  # no key: refused before the limit


def test_a_generated_token_is_a_strong_admin_token() -> None:
    # As docs/development.md makes one; and the API's own key tokens pass too.
    for _ in range(200):
        assert weak_admin_token(secrets.token_urlsafe(24)) is None
        assert weak_admin_token(new_token(new_key_id())) is None


@pytest.mark.parametrize(
    "token", ["", "x" * 31, "CHANGE-ME", "Replace_Me" + "0123456789abcdefghijklmnop", "ab" * 20]
)
def test_weak_admin_tokens_say_why(token: str) -> None:
    assert weak_admin_token(token)


def test_the_limiter_forgets_refilled_keys_when_full() -> None:
    now = [0.0]
    limiter = RateLimiter(rate_per_s=1.0, burst=1, clock=lambda: now[0], max_keys=2)
    assert limiter.take("a") == 0.0
    now[0] += 10.0  # a has refilled: as good as no bucket
    assert limiter.take("b") == 0.0
    assert limiter.take("c") == 0.0  # a is forgotten to make room; b, still draining, is kept
    assert limiter.wait("b") > 0
    assert limiter.take("b") > 0


def test_the_limiter_starts_over_when_every_key_is_draining() -> None:
    limiter = RateLimiter(rate_per_s=0.001, burst=1, clock=lambda: 0.0, max_keys=2)
    limiter.take("a")
    limiter.take("b")
    assert limiter.wait("a") > 0
    assert limiter.take("c") == 0.0
    assert limiter.wait("a") == 0.0  # memory stays bounded; a starts afresh


def test_wait_spends_nothing() -> None:
    limiter = RateLimiter(rate_per_s=1.0, burst=1, clock=lambda: 0.0)
    assert [limiter.wait("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("k") == 0.0
    assert limiter.wait("k") == pytest.approx(1.0)
