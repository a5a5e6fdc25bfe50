"""The api service on PostgreSQL: idempotent projection, redaction, the API over it, and the
`run` entry point as its own process on the real broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from smileback.api.app import create_app
from smileback.api.projector import make_handler
from smileback.api.store import (
    REDACTED_TEXT,
    IncidentEventRow,
    IncidentRow,
    MentionRow,
    QueueItemRow,
    create_schema,
    make_engine,
)
from smileback.common.bus import InMemoryBus
from smileback.common.events import IncidentEventType, encode
from smileback.common.kafka_bus import KafkaBus
from smileback.common.loop import pump
from smileback.common.topics import Topics
from tests.api.builders import (
    T0,
    TOKEN,
    incident_event,
    queue_item,
    quoting_context,
    scored,
    store_mentions,
    tombstone,
)
from tests.support.infra import ensure_topics, free_ports

pytestmark = pytest.mark.integration

TOPICS = Topics()
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _in_schema(url: str, schema: str) -> str:
    """The URL with every unqualified table name resolved in `schema`."""
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return scoped.render_as_string(hide_password=False)


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    """A URL into a fresh schema of its own, dropped afterwards, so reruns start clean."""
    schema = f"api_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _in_schema(postgres_url, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg(pg_url: str) -> Iterator[Engine]:
    """A store on PostgreSQL with the schema created."""
    engine = make_engine(pg_url)
    create_schema(engine)
    yield engine
    engine.dispose()


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _batch(bus: InMemoryBus) -> None:
    mentions = [
        scored(
            f"m{i:03d}",
            created_at=T0 + timedelta(minutes=i // 4),
            negativity=0.2 if i % 10 == 1 else 0.9,
        )
        for i in range(120)
    ]
    for mention in mentions:
        bus.publish(TOPICS.scored, key=mention.root_id, value=encode(mention))
    context = quoting_context(mentions[0])
    summary = '[critical] acme: @alice: "Acme Coffee, my order never arrived"'
    for kind in (IncidentEventType.OPENED, IncidentEventType.PAGED):
        event = incident_event(kind, mention_id="m000", summary=summary, context=context)
        bus.publish(TOPICS.incidents, key=event.incident_id, value=encode(event))
    updated = incident_event(IncidentEventType.UPDATED, mention_id="m001", mention_count=2)
    bus.publish(TOPICS.incidents, key=updated.incident_id, value=encode(updated))
    bus.publish(TOPICS.queues, key="m002", value=encode(queue_item("m002")))
    bus.publish(TOPICS.scored, key="m000", value=encode(tombstone("m000")))
    bus.publish(TOPICS.scored, key="bad", value=b'{"id": "bad"}')


def _project(engine: Engine, bus: InMemoryBus, *, group: str) -> None:
    consumer = bus.consumer([TOPICS.scored, TOPICS.incidents, TOPICS.queues], group=group)
    handler = make_handler(engine=engine, bus=bus, topics=TOPICS, clock=lambda: T0)
    while pump(consumer=consumer, bus=bus, handler=handler, max_records=50):
        pass


def _state(engine: Engine) -> dict[str, Any]:
    with Session(engine) as session:
        incident = session.get(IncidentRow, "inc_1")
        assert incident is not None
        return {
            "counts": [
                _count(engine, m) for m in (MentionRow, IncidentRow, IncidentEventRow, QueueItemRow)
            ],
            "incident": (
                incident.status,
                incident.mention_count,
                incident.paged_count,
                incident.summary,
            ),
            "context": incident.context,
        }


def test_projecting_the_same_batch_twice_stores_it_once(pg: Engine) -> None:
    bus = InMemoryBus(TOPICS.all())
    _batch(bus)
    _project(pg, bus, group="first")
    first = _state(pg)
    assert first["counts"] == [120, 1, 3, 1]
    assert first["incident"][:3] == ("open", 2, 1)
    _project(pg, bus, group="replay")  # every record delivered a second time
    assert _state(pg) == first
    assert len(bus.records(TOPICS.dlq)) == 2  # the bad record, once per pass


def test_tombstones_redact_on_postgresql(pg: Engine) -> None:
    bus = InMemoryBus(TOPICS.all())
    _batch(bus)
    _project(pg, bus, group="g")
    store_mentions(pg, [tombstone("m005")])  # after its original
    store_mentions(pg, [tombstone("late"), scored("late", text="a late original")])  # before
    with Session(pg) as session:
        for mention_id in ("m000", "m005", "late"):
            row = session.get(MentionRow, mention_id)
            assert row is not None
            assert row.redacted is True
            assert (row.text, row.url, row.author_handle) == (REDACTED_TEXT, None, "")
            assert row.payload["text"] == REDACTED_TEXT
            assert row.payload["author"]["handle"] == ""
        incident = session.get(IncidentRow, "inc_1")
        assert incident is not None
        assert incident.context["text"] == REDACTED_TEXT
        assert "never arrived" not in incident.summary
        events = session.scalars(select(IncidentEventRow)).all()
        assert events
        assert all("never arrived" not in str(e.payload) for e in events)
        late = session.get(MentionRow, "late")
        assert late is not None
        assert late.created_at == T0  # the late original still brought its time


def test_the_api_over_postgresql(pg: Engine) -> None:
    bus = InMemoryBus(TOPICS.all())
    _batch(bus)
    _project(pg, bus, group="g")
    with TestClient(create_app(engine=pg, api_token=TOKEN)) as client:
        assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}
        assert client.get("/v1/mentions").status_code == 401
        seen: list[dict[str, Any]] = []
        cursor = None
        pages = 0
        while True:
            params: dict[str, Any] = {"limit": 50, **({"cursor": cursor} if cursor else {})}
            page = client.get("/v1/mentions", params=params, headers=AUTH).json()
            seen.extend(page["items"])
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == 3
        assert len(seen) == 120
        keys = [(m["created_at"], m["id"]) for m in seen]
        assert keys == sorted(keys, reverse=True)
        assert len({m["id"] for m in seen}) == 120
        deleted = client.get("/v1/mentions/m000", headers=AUTH).json()
        assert deleted["text"] == REDACTED_TEXT
        negative = client.get(
            "/v1/mentions", params={"min_negativity": 0.5, "limit": 500}, headers=AUTH
        ).json()
        assert len(negative["items"]) == 108
        incident = client.get("/v1/incidents/inc_1", headers=AUTH).json()
        assert [e["type"] for e in incident["timeline"]] == ["opened", "paged", "updated"]
        assert (
            client.get("/v1/incidents", params={"status": "open"}, headers=AUTH).json()["items"][0][
                "id"
            ]
            == "inc_1"
        )


def _wait_for(
    condition: Callable[[], bool], *, timeout_s: float, proc: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert proc.poll() is None, "the api process died"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_run_projects_from_kafka_serves_and_stops_on_sigterm(
    kafka_bootstrap: str, pg_url: str, tmp_path: Path
) -> None:
    prefix = f"apitest{uuid.uuid4().hex[:8]}."
    ensure_topics(bootstrap=kafka_bootstrap, prefix=prefix)
    topics = Topics(prefix)
    (port,) = free_ports(count=1)
    env = {
        **os.environ,
        "SMILEBACK_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "SMILEBACK_TOPIC_PREFIX": prefix,
        "SMILEBACK_DATABASE_URL": pg_url,
        "SMILEBACK_API_TOKEN": TOKEN,
        "SMILEBACK_API_PORT": str(port),
    }
    log_path = tmp_path / "api.log"
    code = (
        "from smileback.api.runner import run; from smileback.common.settings import Settings; "
        "run(settings=Settings())"
    )
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", code], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stored() -> int:
        response = httpx.get(f"{base}/v1/mentions", params={"limit": 500}, headers=AUTH, timeout=5)
        return len(response.json()["items"])

    try:
        _wait_for(ready, timeout_s=60, proc=proc)
        bus = KafkaBus(kafka_bootstrap, client_id="api-test-producer")
        try:
            for i in range(30):
                mention = scored(f"k{i:02d}", root=f"thread-{i % 5}")
                bus.publish(topics.scored, key=mention.root_id, value=encode(mention))
                bus.publish(topics.scored, key=mention.root_id, value=encode(mention))  # twice
            bus.publish(topics.scored, key="bad", value=b"not json")
            bus.flush(30)
        finally:
            bus.close()
        _wait_for(lambda: stored() == 30, timeout_s=60, proc=proc)
        assert "smileback_api_projector_lag_seconds" in httpx.get(f"{base}/metrics").text
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    output = log_path.read_text(errors="replace")
    assert '"api stopped"' in output, output[-3000:]
    assert TOKEN not in output
