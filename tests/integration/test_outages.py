"""Scorer, alerts and api as processes ride out what their infrastructure does to them: a
PostgreSQL restart, a broker restart, and both frozen for minutes. While a dependency is
away a service is not ready; afterwards it is ready again, it logged one line at each edge
of the outage, it never exited, and a complaint made afterwards still pages once and is
stored."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from smileback.common.events import incident_id_for
from tests.support import infra, kafka
from tests.support.pipeline_env import AUTH, page_receiver, service_env
from tests.support.processes import ServiceProcess

DOWN_S = 12.0  # a restart keeps a server away this long: past the consumers' 10 s sessions
FROZEN_S = 150.0  # a stall: past Kafka's 2-minute delivery timeout and every request timeout
WAIT_S = 180.0  # for a state to show; generous for a loaded 2-core machine
NAMES = ("scorer", "alerts", "api")
USES_DATABASE = ("alerts", "api")


class Pipeline:
    """The three long-running services on one broker and one database, and a page receiver."""

    def __init__(self, *, bootstrap: str, database: str, logs: Path) -> None:
        self.receiver = page_receiver()
        self.receiver.up()
        api_port, *metrics_ports = infra.free_ports(count=4)
        self.env = service_env(
            bootstrap=bootstrap,
            database=database,
            api_port=api_port,
            webhook_url=self.receiver.url,
            brands={"acme": ["acme coffee", "@acmecoffee"]},
        )
        self.logs = logs
        self.services = {
            name: ServiceProcess(
                args=[name],
                env={**self.env, "SMILEBACK_METRICS_PORT": str(port)},
                log_path=logs / f"{name}.log",
            )
            for name, port in zip(NAMES, metrics_ports, strict=True)
        }
        self.api = f"http://127.0.0.1:{api_port}"
        self.readyz = {
            "scorer": f"http://127.0.0.1:{metrics_ports[0]}/readyz",
            "alerts": f"http://127.0.0.1:{metrics_ports[1]}/readyz",
            "api": f"{self.api}/readyz",
        }

    def start(self) -> None:
        for service in self.services.values():
            service.__enter__()
        self.wait_for("every service ready", lambda: self.ready(*NAMES) == {200})

    def stop(self) -> None:
        for service in self.services.values():
            service.stop()
        self.receiver.down()

    def ready(self, *names: str) -> set[int | None]:
        """The distinct /readyz statuses of `names` (None: no answer)."""
        statuses: set[int | None] = set()
        for name in names:
            try:
                statuses.add(httpx.get(self.readyz[name], timeout=5).status_code)
            except httpx.HTTPError:
                statuses.add(None)
        return statuses

    def wait_for(self, what: str, check: Callable[[], bool]) -> None:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            self.assert_alive()
            if check():
                return
            time.sleep(0.5)
        pytest.fail(f"not seen within {WAIT_S:.0f} s: {what}\n{self.offsets()}\n{self.tails()}")

    def offsets(self) -> str:
        """End offsets of the pipeline's topics and each group's committed offsets."""
        bootstrap = self.env["SMILEBACK_KAFKA_BOOTSTRAP"]
        try:
            with kafka.admin_client(bootstrap, timeout_ms=5000) as admin:
                topics = [t for t in admin.list_topics() if t.startswith("smileback.")]
                ends = kafka.end_offsets(bootstrap, kafka.topic_partitions(bootstrap, topics))
                groups = {
                    group: {
                        f"{tp.topic}:{tp.partition}": offset
                        for tp, offset in kafka.committed_offsets(
                            bootstrap, group, admin=admin
                        ).items()
                    }
                    for group, *_ in admin.list_consumer_groups()
                }
        except Exception as exc:  # diagnostics only: never hide the failure behind them
            return f"offsets unavailable: {exc!r}"
        shown = {f"{tp.topic}:{tp.partition}": n for tp, n in ends.items() if n}
        return f"end offsets: {shown}\ncommitted: {json.dumps(groups, sort_keys=True)}"

    def hold(self, seconds: float) -> None:
        """Wait out an outage, checking that nothing exits meanwhile."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.assert_alive()
            time.sleep(1.0)

    def assert_alive(self) -> None:
        assert all(s.alive() for s in self.services.values()), "a service exited:\n" + self.tails()

    def tails(self) -> str:
        return "\n".join(s.tail() for s in self.services.values())

    def complaint_pages_once_and_is_stored(self, mention_id: str) -> None:
        complaint = {
            "id": mention_id,
            "text": "@acmecoffee your app charged me twice and support ignores me. "
            "Disgraceful, never again.",
            "author": {"id": "a1", "handle": "bigvoice", "followers": 2_000_000},
        }
        path = self.logs / f"{mention_id}.jsonl"
        path.write_text(json.dumps(complaint) + "\n")
        ingest = ServiceProcess(
            args=["ingest", "replay", "--input", str(path)],
            env=self.env,
            log_path=self.logs / "ingest.log",
        )
        with ingest:
            assert ingest.proc is not None
            assert ingest.proc.wait(180) == 0, ingest.tail()
        expected = incident_id_for(brand="acme", thread_root_id=mention_id)
        auth = AUTH
        self.wait_for("the page", lambda: bool(self.receiver.pages()))
        self.wait_for(
            "the complaint stored",
            lambda: (
                httpx.get(f"{self.api}/v1/mentions/{mention_id}", headers=auth).status_code == 200
            ),
        )
        time.sleep(3)  # a duplicate page would arrive right behind
        assert [p["dedup_key"] for p in self.receiver.pages()] == [expected]
        assert self.receiver.rejected() == []

    def assert_recovered(self, mention_id: str) -> None:
        """After the outage: every service ready again, a new complaint pages once and is
        stored, each outage was told once at each edge, and no error line was logged."""
        self.wait_for("every service ready again", lambda: self.ready(*NAMES) == {200})
        self.complaint_pages_once_and_is_stored(mention_id)
        self.assert_told_each_outage_once(outages=1)
        self.assert_no_error_lines()

    def edges(self, name: str, dependency: str) -> list[str]:
        """The service's "dependency down"/"dependency back" lines for `dependency`, in order."""
        edges = []
        text = self.services[name].log_path.read_text(errors="replace")
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if entry.get("dependency") == dependency and entry.get("event") in (
                "dependency down",
                "dependency back",
            ):
                edges.append(entry["event"])
        return edges

    def assert_told_each_outage_once(self, *, outages: int) -> None:
        """One line as each outage began and one as it ended; at most one more pair each, when
        a group commit fails just after the broker is back (the member was fenced) or the
        service hits the outage before its probe does."""
        for name in NAMES:
            for dependency in ("kafka", "database") if name in USES_DATABASE else ("kafka",):
                edges = self.edges(name, dependency)
                # The scorer's probe starts before its own topics exist: one down/back at start.
                start = 2 if (name, dependency) == ("scorer", "kafka") else 0
                told = edges[start:]
                assert told[:2] == ["dependency down", "dependency back"], (name, dependency, edges)
                assert told[-1] == "dependency back", (name, dependency, edges)
                assert outages * 2 <= len(told) <= outages * 4, (name, dependency, edges)

    def assert_no_error_lines(self) -> None:
        """The clients' own reconnect errors stay out of the log; the edges say it all."""
        for name, service in self.services.items():
            errors = [
                line
                for line in service.log_path.read_text(errors="replace").splitlines()
                if '"level": "error"' in line
            ]
            assert errors == [], (name, errors[:5])


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[tuple[Pipeline, infra.Server, infra.Server]]:
    with infra.kafka_server() as (bootstrap, kafka), infra.postgres_server() as (url, postgres):
        running = Pipeline(bootstrap=bootstrap, database=url, logs=tmp_path)
        try:
            running.start()
            yield running, kafka, postgres
        finally:
            running.stop()


@pytest.mark.timeout(900)
def test_services_wait_out_a_database_and_a_broker_restart(pipeline) -> None:
    services, kafka, postgres = pipeline

    postgres.stop()
    services.wait_for("alerts and api not ready", lambda: services.ready(*USES_DATABASE) == {503})
    assert services.ready("scorer") == {200}  # the scorer needs no database
    services.hold(DOWN_S)
    postgres.start()
    services.wait_for("every service ready again", lambda: services.ready(*NAMES) == {200})

    kafka.stop()
    services.wait_for("no service ready", lambda: services.ready(*NAMES) == {503})
    services.hold(DOWN_S)
    kafka.start()
    services.assert_recovered("outage:after-restarts")


@pytest.mark.timeout(900)
def test_services_wait_out_a_frozen_broker_and_database(pipeline) -> None:
    services, kafka, postgres = pipeline

    kafka.freeze()
    postgres.freeze()
    try:
        services.wait_for("no service ready", lambda: services.ready(*NAMES) == {503})
        services.hold(FROZEN_S)
    finally:
        postgres.thaw()
        kafka.thaw()
    services.assert_recovered("outage:after-freeze")
