"""The projector on PostgreSQL through database outages: connections killed mid-stream, a
database that appears only later, and `smileback api` started before its database exists.
No record is skipped and none is stored twice."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from smileback.api.runner import start_projector
from smileback.api.store import MentionRow, create_schema, make_engine
from smileback.common.bus import InMemoryBus
from smileback.common.events import encode
from smileback.common.topics import Topics
from tests.support.api_fixtures import TOKEN
from tests.support.builders import T0, scored
from tests.support.infra import ensure_topics, free_ports, fresh_database
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.integration

TOPICS = Topics()
APP_NAME = "projector_under_test"


def _wait_for(condition: Callable[[], bool], *, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _stored(engine: Engine) -> tuple[int, int]:
    """Rows and distinct ids in the mentions table."""
    with Session(engine) as session:
        rows = session.scalar(select(func.count()).select_from(MentionRow)) or 0
        ids = session.scalar(select(func.count(func.distinct(MentionRow.id)))) or 0
    return rows, ids


def _retries() -> float:
    return REGISTRY.get_sample_value("smileback_api_projector_retries_total") or 0.0


@pytest.fixture
def db_url(postgres_url: str) -> Iterator[str]:
    with fresh_database(postgres_url, prefix="api_outage") as url:
        yield url


def test_connections_killed_mid_stream_lose_nothing(postgres_url: str, db_url: str) -> None:
    named = make_url(db_url).update_query_dict({"application_name": APP_NAME})
    engine = make_engine(named.render_as_string(hide_password=False))
    create_schema(engine)
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    bus = InMemoryBus(TOPICS.all())
    stop, killing = threading.Event(), threading.Event()
    kills: list[int] = []

    def killer() -> None:
        with admin.connect() as connection:
            while not killing.is_set():
                killed = connection.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE application_name = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": APP_NAME},
                ).scalar_one()
                kills.append(int(killed))
                time.sleep(0.05)

    retries_before = _retries()
    projector = start_projector(
        engine=engine, bus=bus, topics=TOPICS, clock=lambda: T0, stop=stop, retry_s=0.1
    )
    murderer = threading.Thread(target=killer, daemon=True)
    murderer.start()
    try:
        for chunk in range(30):
            for i in range(100):
                mention = scored(f"m{chunk:02d}-{i:03d}", root=f"thread-{i % 9}")
                bus.publish(TOPICS.scored, key=mention.root_id, value=encode(mention))
            time.sleep(0.05)
        _wait_for(lambda: sum(kills) >= 5, timeout_s=30, what="connections to be killed")
        killing.set()
        murderer.join(10)
        _wait_for(lambda: _stored(engine)[1] == 3000, timeout_s=60, what="every mention")
    finally:
        killing.set()
        stop.set()
        projector.join(15)
        admin.dispose()
    assert _stored(engine) == (3000, 3000)
    assert bus.records(TOPICS.dlq) == []  # nothing was given up on
    assert _retries() > retries_before
    engine.dispose()


def test_a_database_that_appears_later(postgres_url: str) -> None:
    name = f"api_late_{uuid.uuid4().hex[:10]}"
    url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    bus = InMemoryBus(TOPICS.all())
    for i in range(200):
        mention = scored(f"late{i:03d}", root=f"t{i % 4}")
        bus.publish(TOPICS.scored, key=mention.root_id, value=encode(mention))
    stop = threading.Event()
    projector = start_projector(
        engine=engine, bus=bus, topics=TOPICS, clock=lambda: T0, stop=stop, retry_s=0.1
    )
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        time.sleep(1.5)
        assert projector.is_alive()
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        create_schema(engine)
        _wait_for(lambda: _stored(engine) == (200, 200), timeout_s=60, what="the late database")
        assert bus.records(TOPICS.dlq) == []
    finally:
        stop.set()
        projector.join(15)
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_api_waits_for_its_database(
    postgres_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    name = f"api_later_{uuid.uuid4().hex[:10]}"
    url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    prefix = f"apiwait{uuid.uuid4().hex[:8]}."
    ensure_topics(bootstrap=kafka_bootstrap, prefix=prefix)
    (port,) = free_ports(count=1)
    env = {
        "SMILEBACK_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "SMILEBACK_TOPIC_PREFIX": prefix,
        "SMILEBACK_DATABASE_URL": url,
        "SMILEBACK_API_TOKEN": TOKEN,
        "SMILEBACK_API_PORT": str(port),
        "SMILEBACK_API_PROJECTOR_GROUP": f"{prefix}projector",
    }
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    api = ServiceProcess(args=["api"], env=env, log_path=tmp_path / "api.log")

    def ready() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        with api:
            log_path = tmp_path / "api.log"
            _wait_for(
                lambda: "database not reachable; retrying" in log_path.read_text(),
                timeout_s=60,
                what="the api to find no database",
            )
            assert api.alive(), api.tail()
            assert not ready()
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            _wait_for(ready, timeout_s=60, what="the api to migrate and serve")
            assert api.stop() == 0
        assert TOKEN not in log_path.read_text()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
