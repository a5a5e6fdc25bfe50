"""A real Prometheus scrapes the demo's /metrics and sees what the pipeline did."""

from __future__ import annotations

import shutil
import subprocess
import time

import httpx
import pytest

from smileback.cli.demo.scenario import bundled_scenario_path, scenario_facts
from tests.support.infra import free_ports
from tests.support.processes import ServiceProcess

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


@pytest.fixture
def demo(tmp_path):
    (port,) = free_ports(count=1)
    with ServiceProcess(
        args=["demo", "--port", str(port), "--speed", "600"],
        env={"SMILEBACK_DEMO_TOKEN": "prom-test"},
        log_path=tmp_path / "demo.log",
    ) as process:
        yield port, process


@pytest.fixture
def prometheus(demo, tmp_path):
    demo_port, _ = demo
    (port,) = free_ports(count=1)
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n"
        "scrape_configs:\n"
        "  - job_name: smileback\n"
        f"    static_configs:\n      - targets: ['127.0.0.1:{demo_port}']\n"
    )
    proc = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=(tmp_path / "prometheus.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # Ready when its own /-/ready says so; a build that refuses the flags or the config
        # exits, and the test says so with its log instead of timing out on empty queries.
        deadline = time.monotonic() + 60
        while not _ready(base):
            log = (tmp_path / "prometheus.log").read_text(errors="replace")
            assert proc.poll() is None, f"prometheus exited:\n{log[-3000:]}"
            assert time.monotonic() < deadline, f"prometheus not ready:\n{log[-3000:]}"
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(20)


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/-/ready", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def _query(base: str, expr: str) -> float | None:
    try:
        body = httpx.get(f"{base}/api/v1/query", params={"query": expr}, timeout=5).json()
    except httpx.HTTPError:
        return None
    result = body.get("data", {}).get("result", [])
    return float(result[0]["value"][1]) if result else None


def test_prometheus_scrapes_pipeline_counters_from_the_demo(demo, prometheus):
    _, demo_process = demo
    facts = scenario_facts(bundled_scenario_path().read_bytes().splitlines())
    scored = 'sum(smileback_records_total{stage="scorer",outcome="ok"})'
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and _query(prometheus, scored) != facts.published:
        assert demo_process.alive(), demo_process.tail()
        time.sleep(1)
    assert _query(prometheus, 'up{job="smileback"}') == 1.0
    assert _query(prometheus, scored) == facts.published
    assert _query(prometheus, "sum(smileback_dlq_records_total)") == facts.bad_lines
