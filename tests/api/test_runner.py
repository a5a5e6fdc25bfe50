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
from smileback.api.runner import build_server, connect_when_reachable, run, start_projector
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
