"""A real Prometheus scrapes the demo's /metrics and sees what the pipeline did."""

from __future__ import annotations

import time

import pytest

from smileback.cli.demo.scenario import bundled_scenario_path, scenario_facts
from tests.support.infra import free_ports
from tests.support.monitoring import query, running_prometheus
from tests.support.processes import ServiceProcess


@pytest.fixture
def demo(tmp_path):
    (port,) = free_ports(count=1)
    with ServiceProcess(
        args=["demo", "--port", str(port), "--speed", "600"],
        env={"SMILEBACK_DEMO_TOKEN": "prom-test-token-0f3b8e21c7d95a46"},
        log_path=tmp_path / "demo.log",
    ) as process:
        yield port, process


@pytest.fixture
def prometheus(demo, tmp_path):
    demo_port, _ = demo
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n"
        "scrape_configs:\n"
        "  - job_name: smileback\n"
        f"    static_configs:\n      - targets: ['127.0.0.1:{demo_port}']\n"
    )
    with running_prometheus(config=config, workdir=tmp_path) as base:
        yield base


def test_prometheus_scrapes_pipeline_counters_from_the_demo(demo, prometheus):
    _, demo_process = demo
    facts = scenario_facts(bundled_scenario_path().read_bytes().splitlines())
    scored = 'sum(smileback_records_total{stage="scorer",outcome="ok"})'
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and query(prometheus, scored) != facts.published:
        assert demo_process.alive(), demo_process.tail()
        time.sleep(1)
    assert query(prometheus, 'up{job="smileback"}') == 1.0
    assert query(prometheus, scored) == facts.published
    assert query(prometheus, "sum(smileback_dlq_records_total)") == facts.bad_lines
