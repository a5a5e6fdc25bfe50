"""The on-call console's API, running two ways for the browser test.

`demo_console`: `smileback demo`, everything in one process on SQLite. `api_console`:
`smileback api` on PostgreSQL and Kafka, as deployed. Its data arrives as in production:
the bundled scenario goes through ingest, the scorer and alerts (the embedded stack's
stages: the services' own cores on an in-process bus), their `mentions.scored`, `incidents`
and `queues` records are produced to Kafka, and the api's projector stores them.
The console's token is a key of responder "sam" made by `smileback keys create`.

Either site takes a further incident from outside (`ConsoleSite.add_incident`) the way its
store would get one: on Kafka's incidents topic for the api; written into the demo's SQLite
store as its in-process projector writes (the demo reads no outside bus).
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import Engine

from smileback.api.store import make_engine
from smileback.cli.demo.embedded import EmbeddedStack
from smileback.cli.demo.run import DEMO_BRANDS
from smileback.cli.demo.scenario import bundled_scenario_path, scenario_facts
from smileback.common.clock import utc_now
from smileback.common.events import (
    IncidentEvent,
    QueueItem,
    QueueName,
    ScoredMention,
    decode,
    encode,
    incident_id_for,
)
from smileback.common.kafka_bus import KafkaBus
from smileback.common.topics import Topics
from tests.support.infra import ensure_topics, free_ports, fresh_database
from tests.support.kafka import read_records
from tests.support.processes import SMILEBACK, ServiceProcess
from tests.support.store import store_events

__all__ = ["ConsoleSite", "api_console", "demo_console", "wait_until"]

_START_S = 90.0  # process start, migrations and the projector's first group join, loaded
_KAFKA_S = 30.0
_BRAND = "acme"


@dataclass(frozen=True)
class ConsoleSite:
    """A running API with its console, the scenario's one incident, and ways to read back."""

    base: str
    token: str
    incident_id: str
    author: str  # the complaint author's handle, without "@"
    process: ServiceProcess
    # Puts an incident event where this site's store takes it from (see above).
    add_incident: Callable[[IncidentEvent], None]
    # Every incident event with a responder (the responders' actions) on the Kafka topic so
    # far; None where the bus is in-process and cannot be read from outside.
    published_actions: Callable[[], list[IncidentEvent]] | None = None

    def get(self, path: str, **params: str) -> httpx.Response:
        """A GET on the API with the console's token."""
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.get(f"{self.base}{path}", params=params, headers=headers, timeout=10)


def wait_until(condition: Callable[[], bool], *, process: ServiceProcess, timeout_s: float) -> None:
    """Poll `condition` until true; fail with the process's output if it dies or time runs out."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert process.alive(), process.tail()
        assert time.monotonic() < deadline, f"timed out after {timeout_s:.0f} s\n{process.tail()}"
        time.sleep(0.25)


@contextlib.contextmanager
def demo_console(*, token: str, workdir: Path) -> Iterator[ConsoleSite]:
    """`smileback demo` on a free port, once its scenario has been replayed."""
    incident_id, author = _scenario_incident()
    (port,) = free_ports(count=1)
    log = workdir / "demo.log"
    # The demo keeps its SQLite store in a temporary directory: here, under workdir.
    process = ServiceProcess(
        args=["demo", "--port", str(port), "--speed", "100000"],
        env={"SMILEBACK_DEMO_TOKEN": token, "TMPDIR": str(workdir)},
        log_path=log,
    )
    with process:
        wait_until(
            lambda: "scenario done" in log.read_text(errors="replace"),
            process=process,
            timeout_s=_START_S,
        )
        (database,) = workdir.glob("smileback-demo-*/smileback.db")
        engine = make_engine(f"sqlite:///{database}")
        try:
            yield ConsoleSite(
                base=f"http://127.0.0.1:{port}",
                token=token,
                incident_id=incident_id,
                author=author,
                process=process,
                add_incident=lambda event: _store_into(engine, event),
            )
        finally:
            engine.dispose()


@contextlib.contextmanager
def api_console(*, kafka_bootstrap: str, postgres_url: str, workdir: Path) -> Iterator[ConsoleSite]:
    """`smileback api` on a fresh database and its own topics, once it shows the scenario."""
    topics = Topics(f"console{uuid.uuid4().hex[:8]}.")
    ensure_topics(bootstrap=kafka_bootstrap, prefix=topics.prefix)
    incident_id, author = _scenario_incident()
    (port,) = free_ports(count=1)
    with fresh_database(postgres_url, prefix="console") as database_url:
        env = {
            "SMILEBACK_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "SMILEBACK_TOPIC_PREFIX": topics.prefix,
            "SMILEBACK_DATABASE_URL": database_url,
            "SMILEBACK_API_PORT": str(port),
            "SMILEBACK_API_PROJECTOR_GROUP": f"{topics.prefix}api-projector",
            "SMILEBACK_API_RETENTION_DAYS": "36500",  # the scenario's posts are from March 2026
        }
        token = _create_key(env=env, name="console", scope="respond", responder="sam")
        process = ServiceProcess(args=["api"], env=env, log_path=workdir / "api.log")
        with process:
            feed = _produce_scenario(bootstrap=kafka_bootstrap, topics=topics)
            site = ConsoleSite(
                base=f"http://127.0.0.1:{port}",
                token=token,
                incident_id=incident_id,
                author=author,
                process=process,
                add_incident=lambda event: _publish(kafka_bootstrap, topics.incidents, event),
                published_actions=lambda: _actions(bootstrap=kafka_bootstrap, topics=topics),
            )
            wait_until(lambda: _ready(site), process=process, timeout_s=_START_S)
            wait_until(lambda: feed.projected(site), process=process, timeout_s=_START_S)
            yield site


def _scenario_incident() -> tuple[str, str]:
    """The id of the bundled scenario's one incident and its author's handle without "@"."""
    facts = scenario_facts(bundled_scenario_path().read_bytes().splitlines())
    incident_id = incident_id_for(brand=_BRAND, thread_root_id=facts.complaint_root_id)
    return incident_id, facts.complaint_author.lstrip("@")


def _create_key(*, env: dict[str, str], name: str, scope: str, responder: str) -> str:
    """A token of `responder` from `smileback keys create` against the API's database."""
    made = subprocess.run(
        [
            *(str(SMILEBACK), "keys", "create", "--name", name, "--scope", scope),
            *("--responder", responder),
        ],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=_START_S,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    return made.stdout.strip()


@dataclass(frozen=True)
class _Feed:
    """How much of the scenario the api must show once it has projected every record."""

    mentions: int
    incident_events: dict[str, int]
    smile_back: int

    def projected(self, site: ConsoleSite) -> bool:
        """True once the API serves every mention, incident event and smile-back item."""
        for incident_id, events in self.incident_events.items():
            detail = site.get(f"/v1/incidents/{incident_id}")
            if detail.status_code != 200 or len(detail.json()["timeline"]) < events:
                return False
        mentions = site.get("/v1/mentions", limit="500").json()["items"]
        smile = site.get("/v1/smile-back", answered="false", limit="500").json()["items"]
        return (len(mentions), len(smile)) == (self.mentions, self.smile_back)


def _produce_scenario(*, bootstrap: str, topics: Topics) -> _Feed:
    """Run the scenario through ingest, scorer and alerts; produce their output to Kafka."""
    stack = EmbeddedStack.build(
        database_url="sqlite://", brands=DEMO_BRANDS, clock=utc_now, console=io.StringIO()
    )
    try:
        stack.ingest(bundled_scenario_path().read_bytes().splitlines())
        stack.drain()
        local = stack.topics
        out = {local.scored: topics.scored, local.incidents: topics.incidents}
        out[local.queues] = topics.queues
        bus = KafkaBus(bootstrap, client_id="console-test-feed")
        try:
            for source, target in out.items():
                for record in stack.bus.records(source):
                    key = record.key.decode() if record.key is not None else None
                    bus.publish(target, key=key, value=record.value)
            bus.flush(_KAFKA_S)
        finally:
            bus.close()
        mentions = {decode(ScoredMention, r.value).id for r in stack.bus.records(local.scored)}
        events = [decode(IncidentEvent, r.value) for r in stack.bus.records(local.incidents)]
        queued = [decode(QueueItem, r.value) for r in stack.bus.records(local.queues)]
    finally:
        stack.engine.dispose()
    assert len(mentions) <= 500, "the wait lists one page of mentions"
    per_incident = Counter(event.incident_id for event in events)
    smile = {q.mention_id for q in queued if q.queue is QueueName.SMILE_BACK}
    return _Feed(mentions=len(mentions), incident_events=dict(per_incident), smile_back=len(smile))


def _store_into(engine: Engine, event: IncidentEvent) -> None:
    store_events(engine, [event])


def _publish(bootstrap: str, topic: str, event: IncidentEvent) -> None:
    """Produce one incident event, keyed by its incident as alerts keys them."""
    bus = KafkaBus(bootstrap, client_id="console-test-incident")
    try:
        bus.publish(topic, key=event.incident_id, value=encode(event))
        bus.flush(_KAFKA_S)
    finally:
        bus.close()


def _ready(site: ConsoleSite) -> bool:
    """True once the API answers its readiness probe with the database and Kafka up."""
    try:
        response = httpx.get(f"{site.base}/readyz", timeout=5)
    except httpx.HTTPError:
        return False
    return response.status_code == 200 and response.json()["kafka"] == "ok"


def _actions(*, bootstrap: str, topics: Topics) -> list[IncidentEvent]:
    """Every incident event with a responder on the incidents topic, up to its current end."""
    records = read_records(bootstrap, topics.incidents, timeout_s=_KAFKA_S)
    events = [decode(IncidentEvent, value) for _, _, value in records]
    # One incident's events share a key, hence a partition: their order is kept.
    return [event for event in events if event.responder is not None]
