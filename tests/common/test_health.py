"""Dependency state, readiness, liveness, one log line per outage edge, and the HTTP face."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from smileback.common.errors import ConfigError
from smileback.common.health import Dependency, Health, Status, serve_health
from tests.support.clock import Ticks
from tests.support.infra import free_ports


def _metric(name: str, dependency: str) -> float | None:
    return REGISTRY.get_sample_value(name, {"dependency": dependency})


def test_an_outage_is_logged_once_when_it_starts_and_once_when_it_ends() -> None:
    ticks = Ticks()
    dep = Dependency("test-db-1", monotonic=ticks)
    with capture_logs() as logs:
        dep.up()
        for _ in range(5):
            dep.down("unavailable (OperationalError)")
        ticks.now += 42.0
        for _ in range(3):
            dep.up()
    events = [(e["event"], e.get("outage_s")) for e in logs]
    assert events == [("dependency down", None), ("dependency back", 42.0)]
    assert _metric("smileback_dependency_up", "test-db-1") == 1.0
    assert _metric("smileback_dependency_reconnects_total", "test-db-1") == 1.0


def test_the_gauge_is_zero_while_down_and_the_first_success_is_not_a_reconnect() -> None:
    dep = Dependency("test-kafka-1")
    dep.up()
    assert _metric("smileback_dependency_reconnects_total", "test-kafka-1") == 0.0
    dep.down("unavailable")
    assert _metric("smileback_dependency_up", "test-kafka-1") == 0.0
    assert not dep.is_up
    assert dep.reason == "unavailable"


def test_a_check_records_what_the_probe_says() -> None:
    dep = Dependency("test-probe-1")
    assert dep.check(lambda: "missing topics x") == "missing topics x"
    assert not dep.is_up
    assert dep.check(lambda: None) is None
    assert dep.is_up


def test_ready_only_when_every_dependency_has_answered() -> None:
    health = Health(needs=["test-a", "test-b"])
    health.dependency("test-b").up()
    assert not health.readiness().ok  # test-a was never checked
    health.dependency("test-a").up()
    assert health.readiness().ok
    health.dependency("test-b").down("unavailable")
    status = health.readiness()
    assert not status.ok
    assert status.detail == {"test-a": "up", "test-b": "unavailable"}


def test_readiness_also_asks_the_workers_own_checks() -> None:
    health = Health(needs=["test-required"])
    health.dependency("test-required").up()
    problems: list[str | None] = ["no partitions assigned"]
    health.require("consumer", lambda: problems[-1])
    status = health.readiness()
    assert not status.ok
    assert status.detail == {"test-required": "up", "consumer": "no partitions assigned"}
    problems.append(None)
    assert health.readiness() == Status(ok=True, detail={"test-required": "up", "consumer": "ok"})
    # A required check is not a dependency: it has no dependency_up series.
    assert _metric("smileback_dependency_up", "consumer") is None


def test_live_while_the_loop_beats() -> None:
    ticks = Ticks()
    health = Health(needs=[], stall_s=30.0, monotonic=ticks)
    ticks.now += 29.0
    assert health.liveness().ok
    ticks.now += 2.0
    assert not health.liveness().ok
    health.beat()
    assert health.liveness().ok


def test_the_watch_probes_until_stopped() -> None:
    health, stop = Health(needs=[]), threading.Event()
    answers = iter([None, "unavailable", None])
    seen = threading.Event()

    def probe() -> str | None:
        answer = next(answers, None)
        if answer == "unavailable":
            seen.set()
        return answer

    thread = health.watch({"test-watch": probe}, every_s=0.01, stop=stop)
    assert seen.wait(5)
    stop.set()
    thread.join(5)
    assert not thread.is_alive()


def test_a_probe_that_raises_marks_its_dependency_down_and_the_watch_goes_on() -> None:
    health, stop = Health(needs=[]), threading.Event()
    calls: list[int] = []

    def probe() -> str | None:
        calls.append(1)
        raise RuntimeError("bug")

    thread = health.watch({"test-broken": probe}, every_s=0.01, stop=stop)
    try:
        while len(calls) < 3:
            stop.wait(0.01)
    finally:
        stop.set()
        thread.join(5)
    assert health.readiness().detail["test-broken"] == "probe failed: RuntimeError"


@pytest.fixture
def served() -> tuple[Health, str]:
    health = Health(needs=[])
    (port,) = free_ports(count=1)
    server = serve_health(health=health, port=port, host="127.0.0.1")
    assert server is not None
    yield health, f"http://127.0.0.1:{port}"
    server.shutdown()
    server.server_close()


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_readyz_follows_the_dependencies_over_http(served: tuple[Health, str]) -> None:
    health, base = served
    health.dependency("test-http-kafka").down("unavailable (NoBrokersAvailable)")
    status, body = _get(base + "/readyz")
    assert status == 503
    assert json.loads(body) == {
        "status": "unavailable",
        "test-http-kafka": "unavailable (NoBrokersAvailable)",
    }
    health.dependency("test-http-kafka").up()
    status, body = _get(base + "/readyz")
    assert (status, json.loads(body)["status"]) == (200, "ok")


def test_healthz_and_metrics_are_served(served: tuple[Health, str]) -> None:
    health, base = served
    health.dependency("test-http-db").up()
    assert _get(base + "/healthz")[0] == 200
    status, body = _get(base + "/metrics")
    assert status == 200
    assert b'smileback_dependency_up{dependency="test-http-db"} 1.0' in body
    assert _get(base + "/nothing")[0] == 404


def test_a_port_in_use_is_a_config_error_naming_it() -> None:
    (port,) = free_ports(count=1)
    first = serve_health(health=Health(needs=[]), port=port, host="127.0.0.1")
    assert first is not None
    try:
        with pytest.raises(ConfigError, match=f"127.0.0.1:{port}: .*SMILEBACK_METRICS_PORT"):
            serve_health(health=Health(needs=[]), port=port, host="127.0.0.1")
    finally:
        first.shutdown()
        first.server_close()


def test_no_port_serves_nothing() -> None:
    assert serve_health(health=Health(needs=[]), port=0, host="127.0.0.1") is None


def test_a_probe_that_hangs_counts_as_down_and_is_not_stacked() -> None:
    health, stop = Health(needs=["test-frozen"]), threading.Event()
    release, calls = threading.Event(), []

    def frozen() -> str | None:
        calls.append(1)
        release.wait(10)
        return None

    thread = health.watch({"test-frozen": frozen}, every_s=0.02, stop=stop, deadline_s=0.05)
    try:
        for _ in range(200):
            if health.readiness().detail["test-frozen"].startswith("no answer within"):
                break
            stop.wait(0.01)
        assert health.readiness().detail["test-frozen"] == "no answer within 0 s"
        stop.wait(0.2)
        assert len(calls) == 1  # still the first call, waiting
        release.set()
        for _ in range(200):
            if health.readiness().ok:
                break
            stop.wait(0.01)
        assert health.readiness().ok
    finally:
        stop.set()
        release.set()
        thread.join(5)


def test_an_answer_reads_the_last_check_without_probing() -> None:
    health = Health(needs=["test-cached"])
    answer = health.answer("test-cached")
    assert answer() == "not checked yet"
    health.dependency("test-cached").up()
    assert answer() is None
