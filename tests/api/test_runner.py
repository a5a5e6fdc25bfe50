"""The runner's parts: settings checks, the uvicorn server, the projector thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY
from pydantic import SecretStr
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from smileback.api import runner
from smileback.api.app import create_app
from smileback.api.runner import (
    ServerLimits,
    build_server,
    connect_when_reachable,
    run,
    start_projector,
)
from smileback.api.settings import ApiSettings
from smileback.api.store import MentionRow, create_schema, make_engine
from smileback.common.bus import InMemoryBus
from smileback.common.errors import BusError, ConfigError
from smileback.common.events import encode
from smileback.common.kafka_security import KafkaSecuritySettings
from smileback.common.topics import Topics
from tests.support.api_fixtures import TOKEN
from tests.support.builders import T0, scored

TOPICS = Topics()


def _wait_for(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _mentions(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(MentionRow)) or 0


def test_run_refuses_an_empty_token(tmp_path: Path) -> None:
    settings = ApiSettings(
        api_token=SecretStr(""), database_url=f"sqlite:///{tmp_path / 'never.db'}"
    )
    with pytest.raises(ConfigError, match="SMILEBACK_API_TOKEN"):
        run(settings=settings)
    assert not (tmp_path / "never.db").exists()


SECRETS_EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "secrets.env.example"


def _example_token() -> str:
    for line in SECRETS_EXAMPLE.read_text().splitlines():
        if line.startswith("SMILEBACK_API_TOKEN="):
            return line.split("=", 1)[1]
    raise AssertionError("secrets.env.example has no SMILEBACK_API_TOKEN")


@pytest.mark.parametrize(
    ("token", "why"),
    [
        ("short-but-unique-0123", "at least 32"),
        (_example_token(), "at least 32"),
        ("CHANGE-ME-" * 4, "placeholder"),
        ("changeme-9f8e7d6c5b4a39281706f5e4d3c2b1a0", "placeholder"),
        ("secret" * 6, "repeats"),
        ("password" * 4, "repeats"),
        ("token" * 7, "repeats"),
    ],
)
def test_run_refuses_a_weak_token_naming_the_variable(tmp_path: Path, token: str, why: str) -> None:
    settings = ApiSettings(
        api_token=SecretStr(token), database_url=f"sqlite:///{tmp_path / 'never.db'}"
    )
    with pytest.raises(ConfigError, match="SMILEBACK_API_TOKEN") as refused:
        run(settings=settings)
    assert why in str(refused.value)
    assert token not in str(refused.value)  # a near-secret is never echoed
    assert not (tmp_path / "never.db").exists()


class _Bus:
    def __init__(self, client_id: str) -> None:
        self.client_id, self.closed = client_id, False

    def close(self) -> None:
        self.closed = True


def test_kafka_away_at_start_is_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[str] = []
    security = KafkaSecuritySettings(kafka_security_protocol="SSL")

    def kafka_bus(
        _bootstrap: str,
        *,
        client_id: str,
        bootstrap_timeout_s: float,
        security: KafkaSecuritySettings | None,
    ) -> _Bus:
        assert security is not None
        assert security.kafka_security_protocol == "SSL"  # each bus logs in alike
        attempts.append(client_id)
        if len(attempts) < 3:
            raise BusError("cannot reach Kafka")
        return _Bus(client_id)

    monkeypatch.setattr(runner, "KafkaBus", kafka_bus)
    stop = threading.Event()
    monkeypatch.setattr(stop, "wait", lambda _delay: False)
    buses = connect_when_reachable(
        bootstrap="k:1", client_ids=("a", "b"), stop=stop, security=security
    )
    assert attempts == ["a", "a", "a", "b"]
    assert buses is not None
    assert [bus.client_id for bus in buses] == ["a", "b"]


def test_a_stop_while_waiting_for_kafka_closes_what_was_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[_Bus] = []

    def kafka_bus(
        _bootstrap: str,
        *,
        client_id: str,
        bootstrap_timeout_s: float,
        security: KafkaSecuritySettings | None,
    ) -> _Bus:
        if client_id == "b":
            raise BusError("cannot reach Kafka")
        made.append(_Bus(client_id))
        return made[-1]

    monkeypatch.setattr(runner, "KafkaBus", kafka_bus)
    stop = threading.Event()
    monkeypatch.setattr(stop, "wait", lambda _delay: True)  # stopped during the first wait
    assert connect_when_reachable(bootstrap="k:1", client_ids=("a", "b"), stop=stop) is None
    assert [bus.closed for bus in made] == [True]


def test_the_server_serves_the_app_and_stops(engine: Engine) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = build_server(
        app=create_app(engine=engine, api_token=TOKEN), host="127.0.0.1", port=port
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        _wait_for(lambda: server.started)
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/healthz").json()["status"] == "ok"
        assert httpx.get(f"{base}/v1/mentions").status_code == 401
        authed = httpx.get(f"{base}/v1/mentions", headers={"Authorization": f"Bearer {TOKEN}"})
        assert authed.status_code == 200
    finally:
        server.should_exit = True
        thread.join(10)
    assert not thread.is_alive()


def test_the_server_keeps_its_limits(engine: Engine) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    limits = ServerLimits(timeout_keep_alive_s=1, max_header_bytes=4096, limit_concurrency=7)
    server = build_server(
        app=create_app(engine=engine, api_token=TOKEN), host="127.0.0.1", port=port, limits=limits
    )
    assert (server.config.timeout_keep_alive, server.config.limit_concurrency) == (1, 7)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        _wait_for(lambda: server.started)
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/healthz", headers={"X-Filler": "x" * 1024}).status_code == 200
        # Headers still arriving past max_header_bytes are refused by the server, before the
        # app, without waiting for the rest.
        head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Filler: " + b"x" * 6000
        assert _answer(port, head).startswith(b"HTTP/1.1 400")
        # An idle keep-alive connection is closed after timeout_keep_alive_s (recv ends).
        assert _answer(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").startswith(
            b"HTTP/1.1 200"
        )
    finally:
        server.should_exit = True
        thread.join(10)
    assert not thread.is_alive()


def _answer(port: int, request: bytes) -> bytes:
    """All the server sends back on one connection until it closes it."""
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(request)
        conn.settimeout(10)
        received = b""
        while chunk := conn.recv(4096):
            received += chunk
        return received


def test_server_limits_come_from_the_settings() -> None:
    settings = ApiSettings(
        api_timeout_keep_alive_s=9, api_max_header_bytes=8192, api_limit_concurrency=50
    )
    assert ServerLimits.of(settings) == ServerLimits(
        timeout_keep_alive_s=9, max_header_bytes=8192, limit_concurrency=50
    )


def test_the_projector_thread_stores_records_and_stops(engine: Engine) -> None:
    bus = InMemoryBus(TOPICS.all())
    stop = threading.Event()
    thread = start_projector(engine=engine, bus=bus, topics=TOPICS, clock=lambda: T0, stop=stop)
    try:
        for i in range(3):
            bus.publish(TOPICS.scored, key=f"m{i}", value=encode(scored(f"m{i}")))
        _wait_for(lambda: _mentions(engine) == 3)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


def test_the_projector_shows_its_consumer_lag_per_partition(engine: Engine) -> None:
    bus = InMemoryBus(TOPICS.all())
    for i in range(4):
        bus.publish(TOPICS.scored, key="thread", value=encode(scored(f"m{i}")))
    (partition,) = {r.partition for r in bus.records(TOPICS.scored)}
    labels = {"group": "test-lagging", "topic": TOPICS.scored, "partition": str(partition)}
    stop = threading.Event()
    thread = start_projector(
        engine=engine, bus=bus, topics=TOPICS, clock=lambda: T0, stop=stop, group="test-lagging"
    )
    try:
        _wait_for(lambda: _mentions(engine) == 4)
        _wait_for(lambda: REGISTRY.get_sample_value("smileback_consumer_lag_records", labels) == 0)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    # It left its group: the partitions are someone else's to report.
    assert REGISTRY.get_sample_value("smileback_consumer_lag_records", labels) is None


def test_the_projector_thread_retries_after_a_database_error(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'late.db'}")  # no tables yet
    bus = InMemoryBus(TOPICS.all())
    bus.publish(TOPICS.scored, key="m1", value=encode(scored("m1")))
    stop = threading.Event()
    thread = start_projector(
        engine=engine, bus=bus, topics=TOPICS, clock=lambda: T0, stop=stop, retry_s=0.05
    )
    try:
        time.sleep(0.3)  # a few failed attempts
        assert thread.is_alive()
        create_schema(engine)
        _wait_for(lambda: _mentions(engine) == 1)
    finally:
        stop.set()
        thread.join(10)
