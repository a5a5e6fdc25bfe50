"""The api service on PostgreSQL: idempotent projection, redaction, the API over it, and
`smileback api` as its own process on the real broker: projecting, publishing the
responder's actions to Kafka, stopping cleanly, and resuming after SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from kafka import KafkaConsumer
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from smileback.api.app import create_app
from smileback.api.projector import Retry, make_handler
from smileback.api.store import (
    IncidentEventRow,
    IncidentRow,
    MentionRow,
    QueueItemRow,
)
from smileback.common.bus import InMemoryBus
from smileback.common.events import DlqRecord, IncidentEvent, IncidentEventType, decode, encode
from smileback.common.kafka_bus import KafkaBus
from smileback.common.loop import pump
from smileback.common.redaction import REDACTED_TEXT
from smileback.common.topics import Topics
from tests.support.api_fixtures import TOKEN
from tests.support.builders import (
    T0,
    incident_event,
    queue_item,
    quoting_packet,
    scored,
    tombstone,
)
from tests.support.infra import ensure_topics, free_ports, fresh_database
from tests.support.processes import SMILEBACK
from tests.support.statements import statements_run
from tests.support.store import (
    opened_incident,
    store_mentions,
    store_on,
    truncate_all,
)

pytestmark = pytest.mark.integration

TOPICS = Topics()
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def db_url(postgres_url: str) -> Iterator[str]:
    """A fresh database for this module, dropped afterwards."""
    with fresh_database(postgres_url, prefix="api_pg") as url:
        yield url


@pytest.fixture(scope="module")
def migrated(db_url: str) -> Iterator[Engine]:
    with store_on(db_url) as engine:
        yield engine


@pytest.fixture
def pg(migrated: Engine) -> Engine:
    """The store on PostgreSQL, empty."""
    truncate_all(migrated)
    return migrated


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
    packet = quoting_packet(mentions[0])
    summary = '[critical] acme: @alice: "Acme Coffee, my order never arrived"'
    for kind in (IncidentEventType.OPENED, IncidentEventType.PAGED):
        event = incident_event(kind, mention_id="m000", summary=summary, packet=packet)
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
        assert incident.context["what"]["text"] == REDACTED_TEXT
        assert "never arrived" not in str(incident.context)
        assert "never arrived" not in incident.summary
        events = session.scalars(select(IncidentEventRow)).all()
        assert events
        assert all("never arrived" not in str(e.payload) for e in events)
        late = session.get(MentionRow, "late")
        assert late is not None
        assert late.created_at == T0  # the late original still brought its time


def test_a_batch_is_copied_in_the_last_row_of_an_id_kept_and_read_back_whole(
    pg: Engine,
) -> None:
    """On PostgreSQL a batch goes in by COPY and one upsert: an id twice in a batch keeps
    its last row (as storing them in order would), text that COPY must escape comes back as
    written, and the payload is the event's JSON."""
    awkward = 'a\\b\ttab\nline "quoted" caf\u00e9 \U0001f64c \\N'
    first = scored("twice", text="first words", negativity=0.2)
    last = scored("twice", text=awkward, negativity=0.8)
    other = scored("once", text=awkward, created_at=None)
    with statements_run(pg) as statements:
        store_mentions(pg, [first, other, last])
    assert not any(many for _, many in statements), statements  # no statement a row
    assert [verb for verb, _ in statements].count("INSERT") == 1
    store_mentions(pg, [other])  # the batch table was emptied at commit: no leftovers
    with Session(pg) as session:
        rows = {row.id: row for row in session.scalars(select(MentionRow))}
    assert set(rows) == {"twice", "once"}
    assert rows["twice"].text == awkward
    assert rows["twice"].negativity == pytest.approx(0.8)
    assert rows["twice"].payload == last.model_dump(mode="json")
    assert rows["once"].payload == other.model_dump(mode="json")
    assert rows["once"].created_at == T0  # no time of its own: the batch's


def test_a_row_the_copy_refuses_is_dead_lettered_and_the_rest_stored(postgres_url: str) -> None:
    """A value the COPY itself refuses (here a handle longer than a narrowed column) is a
    refused record, dead-lettered with the reason, as a refused INSERT is; the rest of the
    batch is stored. (Unwrapped, the driver's error looked like neither refused data nor a
    database that blinked.)"""
    with fresh_database(postgres_url, prefix="api_copy") as url, store_on(url) as engine:
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "ALTER TABLE mentions ALTER COLUMN author_handle TYPE varchar(12)"
            )
        bus = InMemoryBus(TOPICS.all())
        mentions = [
            scored("m1"),
            scored("m2", handle="a-handle-far-too-long-for-it"),
            scored("m3", handle="bob"),
        ]
        for mention in mentions:
            bus.publish(TOPICS.scored, key=mention.id, value=encode(mention))
        _project(engine, bus, group="g")
        with Session(engine) as session:
            stored = dict(session.execute(select(MentionRow.id, MentionRow.author_handle)).all())
    assert stored == {"m1": "alice", "m3": "bob"}
    dead = [decode(DlqRecord, r.value) for r in bus.records(TOPICS.dlq)]
    assert [(d.source_id, d.topic) for d in dead] == [("m2", TOPICS.scored)]
    assert "the store refused it" in dead[0].error
    assert "too long" in dead[0].error
    assert dead[0].raw == encode(mentions[1])


def test_the_api_over_postgresql(pg: Engine) -> None:
    bus = InMemoryBus(TOPICS.all())
    _batch(bus)
    _project(pg, bus, group="g")
    with TestClient(create_app(engine=pg, api_token=TOKEN)) as client:
        assert client.get("/readyz").json() == {
            "status": "ok",
            "database": "ok",
            "kafka": "not configured",
        }
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


class _ProjectedAtOnceBus(InMemoryBus):
    """A bus whose projector reads each responder event back the moment it is flushed.

    As the api's own projector on a fast broker can: flush returns once the projector's
    write of the event has finished or is waiting for a lock the request holds.
    """

    def __init__(self, engine: Engine) -> None:
        super().__init__(TOPICS.all())
        self.engine = engine
        self.projectors: list[threading.Thread] = []
        self.errors: list[BaseException] = []

    def flush(self, timeout_s: float | None = None) -> None:
        events = self.records(TOPICS.incidents)
        # No retries: a deadlock must show, not be papered over by the projector's backoff.
        handler = make_handler(
            engine=self.engine, bus=self, topics=TOPICS, clock=lambda: T0, retry=Retry(attempts=0)
        )

        def project() -> None:
            try:
                handler(events[-1:])
            except BaseException as exc:  # reported by the test, not lost in the thread
                self.errors.append(exc)

        thread = threading.Thread(target=project, name="projector", daemon=True)
        self.projectors.append(thread)
        thread.start()
        deadline = time.monotonic() + 30
        while thread.is_alive() and not _a_session_waits_for_a_lock(self.engine):
            assert time.monotonic() < deadline, "the projector neither finished nor waited"
            time.sleep(0.01)


def _a_session_waits_for_a_lock(engine: Engine) -> bool:
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    with engine.connect() as connection:
        return bool(connection.execute(query).scalar())


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("acknowledge", {"on_behalf_of": "sam"}),
        ("assign", {"owner": "alex", "on_behalf_of": "sam"}),
        ("notes", {"text": "called her back", "on_behalf_of": "sam"}),
        ("resolve", {"on_behalf_of": "sam"}),
    ],
)
def test_an_action_and_the_projector_reading_it_back_do_not_deadlock(
    pg: Engine, action: str, body: dict[str, str]
) -> None:
    opened_incident(pg)
    bus = _ProjectedAtOnceBus(pg)
    later = T0 + timedelta(minutes=7)  # after the incident's own events on the timeline
    app = create_app(engine=pg, api_token=TOKEN, bus=bus, topics=TOPICS, clock=lambda: later)
    with TestClient(app) as client:
        response = client.post(f"/v1/incidents/inc_1/{action}", json=body, headers=AUTH)
    for thread in bus.projectors:
        thread.join(timeout=30)
        assert not thread.is_alive()
    assert response.status_code in (200, 201), response.text
    assert bus.errors == []
    (published,) = [decode(IncidentEvent, r.value) for r in bus.records(TOPICS.incidents)]
    recorded = response.json()["event"]
    assert recorded["responder"] == published.responder == "sam"
    assert recorded["event_id"] == published.event_id
    with Session(pg) as session:
        assert session.get(IncidentEventRow, published.event_id) is not None


def _wait_for(
    condition: Callable[[], bool], *, timeout_s: float, proc: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert proc.poll() is None, "the api process died"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


class _Api:
    """`smileback api` as its own process on the real broker and PostgreSQL."""

    def __init__(self, *, env: dict[str, str], port: int, log_path: Path) -> None:
        self.env, self.base, self.log_path = env, f"http://127.0.0.1:{port}", log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> subprocess.Popen[bytes]:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(SMILEBACK), "api"], env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        _wait_for(self.ready, timeout_s=60, proc=self.proc)
        return self.proc

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.base}/readyz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def stored(self, headers: dict[str, str]) -> list[str]:
        response = httpx.get(
            f"{self.base}/v1/mentions", params={"limit": 500}, headers=headers, timeout=5
        )
        return [m["id"] for m in response.json()["items"]]

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        return self.proc.wait(30)

    def kill_if_running(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def _publish(bootstrap: str, topic: str, mentions: list[Any], *, twice: bool = False) -> None:
    bus = KafkaBus(bootstrap, client_id="api-test-producer")
    try:
        for mention in mentions:
            for _ in range(2 if twice else 1):
                bus.publish(topic, key=mention.root_id, value=encode(mention))
        bus.flush(30)
    finally:
        bus.close()


def _read_all(bootstrap: str, topic: str, *, at_least: int, timeout_s: float = 30) -> list[bytes]:
    consumer = KafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    values: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(values) < at_least and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                values.extend(record.value for record in batch)
    finally:
        consumer.close()
    return values


@pytest.fixture
def cluster(kafka_bootstrap: str, db_url: str, pg: Engine, tmp_path: Path) -> Iterator[_Api]:
    """An api process configuration on its own topics and the emptied database."""
    prefix = f"apitest{uuid.uuid4().hex[:8]}."
    ensure_topics(bootstrap=kafka_bootstrap, prefix=prefix)
    (port,) = free_ports(count=1)
    env = {
        **os.environ,
        "SMILEBACK_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "SMILEBACK_TOPIC_PREFIX": prefix,
        "SMILEBACK_DATABASE_URL": db_url,
        "SMILEBACK_API_TOKEN": TOKEN,
        "SMILEBACK_API_PORT": str(port),
        "SMILEBACK_API_RETENTION_DAYS": "36500",  # the test mentions are from 2025
        "SMILEBACK_API_PROJECTOR_GROUP": f"{prefix}projector",
    }
    api = _Api(env=env, port=port, log_path=tmp_path / "api.log")
    try:
        yield api
    finally:
        api.kill_if_running()


def test_run_projects_from_kafka_publishes_actions_and_stops_on_sigterm(
    cluster: _Api, kafka_bootstrap: str, pg: Engine
) -> None:
    topics = Topics(cluster.env["SMILEBACK_TOPIC_PREFIX"])
    # A key made by the CLI against the same database.
    made = subprocess.run(
        [
            *(str(SMILEBACK), "keys", "create", "--name", "responder", "--scope", "respond"),
            *("--responder", "sam"),
        ],
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    key = {"Authorization": f"Bearer {made.stdout.strip()}"}
    proc = cluster.start()
    assert httpx.get(f"{cluster.base}/readyz").json()["kafka"] == "ok"
    mentions = [scored(f"k{i:02d}", root=f"thread-{i % 5}") for i in range(30)]
    _publish(kafka_bootstrap, topics.scored, mentions, twice=True)
    opened = incident_event(IncidentEventType.OPENED, incident_id="inc_k", mention_id="k00")
    _publish_raw(kafka_bootstrap, topics.incidents, key="inc_k", value=encode(opened))
    _publish_raw(kafka_bootstrap, topics.scored, key="bad", value=b"not json")
    _wait_for(lambda: len(cluster.stored(key)) == 30, timeout_s=60, proc=proc)

    def incident_known() -> bool:
        return httpx.get(f"{cluster.base}/v1/incidents/inc_k", headers=key).status_code == 200

    _wait_for(incident_known, timeout_s=30, proc=proc)
    ack = httpx.post(f"{cluster.base}/v1/incidents/inc_k/acknowledge", headers=key)
    assert ack.status_code == 200, ack.text
    assert ack.json()["status"] == "acknowledged"
    events = [
        decode(IncidentEvent, v) for v in _read_all(kafka_bootstrap, topics.incidents, at_least=2)
    ]
    assert [(e.type, e.responder) for e in events] == [
        (IncidentEventType.OPENED, None),
        (IncidentEventType.ACKNOWLEDGED, "sam"),
    ]
    assert "smileback_api_projector_lag_seconds" in httpx.get(f"{cluster.base}/metrics").text
    assert cluster.stop() == 0
    output = cluster.log_path.read_text(errors="replace")
    assert '"api stopped"' in output, output[-3000:]
    assert TOKEN not in output
    assert made.stdout.strip() not in output
    with Session(pg) as session:  # the projector saw the acknowledgement again: no duplicate
        assert session.scalar(select(func.count()).select_from(IncidentEventRow)) == 2


def _publish_raw(bootstrap: str, topic: str, *, key: str, value: bytes) -> None:
    bus = KafkaBus(bootstrap, client_id="api-test-producer")
    try:
        bus.publish(topic, key=key, value=value)
        bus.flush(30)
    finally:
        bus.close()


def test_a_killed_api_resumes_where_it_left_off(cluster: _Api, kafka_bootstrap: str) -> None:
    topics = Topics(cluster.env["SMILEBACK_TOPIC_PREFIX"])
    first = [scored(f"a{i:03d}", root=f"t{i % 7}") for i in range(300)]
    second = [scored(f"b{i:03d}", root=f"t{i % 7}") for i in range(200)]
    proc = cluster.start()
    _publish(kafka_bootstrap, topics.scored, first)
    _wait_for(lambda: len(cluster.stored(AUTH)) >= 50, timeout_s=60, proc=proc)
    assert cluster.stop(signal.SIGKILL) == -signal.SIGKILL  # no graceful anything
    _publish(kafka_bootstrap, topics.scored, second)  # while it is down
    proc = cluster.start()

    def everything() -> bool:
        ids: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 500, **({"cursor": cursor} if cursor else {})}
            page = httpx.get(
                f"{cluster.base}/v1/mentions", params=params, headers=AUTH, timeout=5
            ).json()
            ids += [m["id"] for m in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(ids) == len(set(ids))
        return len(ids) == 500

    _wait_for(everything, timeout_s=60, proc=proc)
    assert cluster.stop() == 0
