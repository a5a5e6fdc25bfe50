"""Scorer, alerts and api as processes ride out a PostgreSQL restart and a broker restart:
not ready while a dependency is down, ready again after, one log line at each edge of an
outage, no exit, and a complaint made afterwards still pages and is stored."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from smileback.common.events import incident_id_for
from tests.integration.test_pipeline_e2e import SECRET, TOKEN, _Receiver
from tests.support import infra
from tests.support.processes import ServiceProcess

DOWN_S = 12.0  # each outage lasts at least this long: past the consumers' 10 s session timeout
WAIT_S = 180.0  # for a state to show; generous for a loaded 2-core machine


@pytest.fixture
def servers() -> Iterator[tuple[str, infra.Server, str, infra.Server]]:
    with infra.kafka_server() as (bootstrap, kafka), infra.postgres_server() as (url, postgres):
        yield bootstrap, kafka, url, postgres


def _ready(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.HTTPError:
        return None


def _wait_for(what: str, check, services: list[ServiceProcess]) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        assert all(s.alive() for s in services), "a service exited:\n" + "\n".join(
            s.tail() for s in services
        )
        if check():
            return
        time.sleep(0.5)
    pytest.fail(f"not seen within {WAIT_S:.0f} s: {what}\n" + "\n".join(s.tail() for s in services))


def _edges(log_path: Path, dependency: str) -> list[str]:
    """The service's "dependency down"/"dependency back" lines for `dependency`, in order."""
    edges = []
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if entry.get("dependency") == dependency and entry.get("event", "").startswith("dep"):
            edges.append(entry["event"])
    return edges


@pytest.mark.timeout(900)
def test_services_wait_out_a_database_and_a_broker_restart(servers, tmp_path) -> None:
    bootstrap, kafka, database, postgres = servers
    _Receiver.pages, _Receiver.rejected = [], 0
    from http.server import ThreadingHTTPServer
    from threading import Thread

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    Thread(target=receiver.serve_forever, daemon=True).start()
    api_port, *metrics_ports = infra.free_ports(count=4)
    env = {
        "SMILEBACK_KAFKA_BOOTSTRAP": bootstrap,
        "SMILEBACK_DATABASE_URL": database,
        "SMILEBACK_API_TOKEN": TOKEN,
        "SMILEBACK_API_PORT": str(api_port),
        "SMILEBACK_WEBHOOK_URL": f"http://127.0.0.1:{receiver.server_address[1]}/page",
        "SMILEBACK_WEBHOOK_SECRET": SECRET,
        "SMILEBACK_BRANDS": json.dumps({"acme": ["acme coffee", "@acmecoffee"]}),
    }
    names = ["scorer", "alerts", "api"]
    services = [
        ServiceProcess(
            args=[name],
            env={**env, "SMILEBACK_METRICS_PORT": str(port)},
            log_path=tmp_path / f"{name}.log",
        )
        for name, port in zip(names, metrics_ports, strict=True)
    ]
    readyz = {
        "scorer": f"http://127.0.0.1:{metrics_ports[0]}/readyz",
        "alerts": f"http://127.0.0.1:{metrics_ports[1]}/readyz",
        "api": f"http://127.0.0.1:{api_port}/readyz",
    }
    uses_database = ["alerts", "api"]
    logs = dict(zip(names, (s.log_path for s in services), strict=True))
    try:
        for service in services:
            service.__enter__()
        _wait_for(
            "every service ready", lambda: all(_ready(u) == 200 for u in readyz.values()), services
        )

        postgres.stop()
        _wait_for(
            "alerts and api not ready while PostgreSQL is down",
            lambda: all(_ready(readyz[n]) == 503 for n in uses_database),
            services,
        )
        assert _ready(readyz["scorer"]) == 200  # the scorer needs no database
        time.sleep(DOWN_S)
        postgres.start()
        _wait_for(
            "every service ready after PostgreSQL",
            lambda: all(_ready(u) == 200 for u in readyz.values()),
            services,
        )

        kafka.stop()
        _wait_for(
            "no service ready while Kafka is down",
            lambda: all(_ready(u) == 503 for u in readyz.values()),
            services,
        )
        time.sleep(DOWN_S)
        kafka.start()
        _wait_for(
            "every service ready after Kafka",
            lambda: all(_ready(u) == 200 for u in readyz.values()),
            services,
        )

        # Still working: a large-audience complaint made now pages once and is stored.
        complaint = {
            "id": "outage:complaint",
            "text": "@acmecoffee your app charged me twice and support ignores me. "
            "Disgraceful, never again.",
            "author": {"id": "a1", "handle": "bigvoice", "followers": 2_000_000},
        }
        mentions = tmp_path / "complaint.jsonl"
        mentions.write_text(json.dumps(complaint) + "\n")
        ingest = ServiceProcess(
            args=["ingest", "--input", str(mentions)], env=env, log_path=tmp_path / "ingest.log"
        )
        with ingest:
            assert ingest.proc is not None
            assert ingest.proc.wait(120) == 0, ingest.tail()
        expected = incident_id_for(brand="acme", thread_root_id="outage:complaint")
        _wait_for("the page", lambda: bool(_Receiver.pages), services)
        api = f"http://127.0.0.1:{api_port}"
        auth = {"Authorization": f"Bearer {TOKEN}"}
        _wait_for(
            "the complaint stored",
            lambda: httpx.get(f"{api}/v1/mentions", headers=auth).json()["items"] != [],
            services,
        )
        time.sleep(3)  # a duplicate page would arrive right behind
        assert [p["dedup_key"] for p in _Receiver.pages] == [expected]

        for name in names:
            kafka_edges = _edges(logs[name], "kafka")
            # One line as the outage began and one as it ended; at most one more pair when a
            # group commit fails just after the broker is back (the member was fenced).
            assert kafka_edges[:2] == ["dependency down", "dependency back"], (name, kafka_edges)
            assert len(kafka_edges) in (2, 4), (name, kafka_edges)
        for name in uses_database:
            db_edges = _edges(logs[name], "database")
            assert db_edges[:2] == ["dependency down", "dependency back"], (name, db_edges)
            assert len(db_edges) in (2, 4), (name, db_edges)
        assert all(s.alive() for s in services)
    finally:
        for service in services:
            service.stop()
        receiver.shutdown()
