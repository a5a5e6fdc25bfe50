"""Every query of every Grafana dashboard (deploy/grafana/dashboards/*.json) returns data from
a real Prometheus scraping ingest, scorer, alerts and api as processes on the real broker and
PostgreSQL, fed by a replay whose large-audience complaint pages and is acknowledged."""

from __future__ import annotations

import json
import math
import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from smileback.cli.demo.scenario import BRAND_TERMS, MIN_TOTAL, generate, scenario_facts
from smileback.common.events import incident_id_for
from smileback.common.topics import Topics
from tests.support.infra import REPO_ROOT, ensure_topics, free_ports, fresh_database
from tests.support.kafka import produce
from tests.support.monitoring import answers, instant, running_prometheus, scrape_config
from tests.support.pipeline_env import AUTH, page_receiver, service_env
from tests.support.processes import ServiceProcess
from tests.support.receivers import Receiver
from tests.support.webhook_ingest import post, running_webhook

DASHBOARDS = sorted((REPO_ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))
# Grafana's variables as a dashboard opened on "All" over the last hour would fill them in; the
# rate window is wide enough to hold the whole test.
VARIABLES = {"$__rate_interval": "10m", "$__range": "1h", "$brand": ".*"}
WAIT_S = 300.0  # for every query to have data; generous for a loaded 2-core machine


def _panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])  # a row's own panels


def _substituted(expr: str) -> str:
    for name, value in VARIABLES.items():
        expr = expr.replace(name, value)
    assert "$" not in expr, f"a template variable the test does not fill in: {expr}"
    return expr


def dashboard_queries() -> dict[str, str]:
    """'dashboard / panel' -> PromQL for every panel target, and each query variable's
    `label_values(metric, label)` as the query that lists those values."""
    queries: dict[str, str] = {}
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text())
        for variable in dashboard["templating"]["list"]:
            if variable["type"] == "query":
                found = re.fullmatch(r"label_values\((\w+), (\w+)\)", variable["query"])
                assert found, variable["query"]
                metric, label = found.groups()
                queries[f"{path.stem} / ${variable['name']}"] = f"count by ({label}) ({metric})"
        for panel in _panels(dashboard):
            for target in panel.get("targets", []):
                name = f"{path.stem} / {panel['title']} / {target['legendFormat']}"
                queries[name] = _substituted(target["expr"])
    return queries


def _has_data(result: list[dict[str, Any]]) -> bool:
    """A non-empty vector with at least one number (a quantile of nothing is NaN)."""
    return any(math.isfinite(float(sample["value"][1])) for sample in result)


@pytest.fixture
def database(postgres_url: str) -> Iterator[str]:
    with fresh_database(postgres_url, prefix="dash") as url:
        yield url


@pytest.mark.timeout(900)
def test_every_dashboard_query_returns_data(kafka_bootstrap, database, tmp_path: Path) -> None:
    queries = dashboard_queries()
    assert {path.stem for path in DASHBOARDS} == {"pipeline", "brand-health", "on-call"}
    prefix = f"dash{uuid.uuid4().hex[:8]}."
    topics = Topics(prefix=prefix)
    ensure_topics(bootstrap=kafka_bootstrap, prefix=prefix)
    lines = generate(start=datetime(2026, 11, 1, 9, 0, tzinfo=UTC), seed=5, total=MIN_TOTAL)
    facts = scenario_facts(lines)
    scenario = tmp_path / "mentions.jsonl"
    scenario.write_bytes(b"\n".join(lines) + b"\n")

    api_port, scorer_port, alerts_port = free_ports(count=3)
    with page_receiver() as receiver:
        env = service_env(
            bootstrap=kafka_bootstrap,
            database=database,
            api_port=api_port,
            webhook_url=receiver.url,
            brands=BRAND_TERMS,
            prefix=prefix,
        )
        services = [
            ServiceProcess(
                args=[name],
                env={**env, "SMILEBACK_METRICS_PORT": str(port)},
                log_path=tmp_path / f"{name}.log",
            )
            for name, port in (("scorer", scorer_port), ("alerts", alerts_port), ("api", api_port))
        ]
        try:
            for service in services:
                service.__enter__()
            readyz = [f"http://127.0.0.1:{port}/readyz" for port in (scorer_port, alerts_port)]
            readyz.append(f"http://127.0.0.1:{api_port}/readyz")
            _wait_until(
                lambda: all(answers(url) for url in readyz),
                "every service ready",
                services=services,
            )
            with running_webhook(
                bootstrap=kafka_bootstrap, topics=topics, log=tmp_path / "ingest-webhook.log"
            ) as webhook:
                config = tmp_path / "prometheus.yml"
                jobs = {
                    "smileback-ingest": webhook.base.removeprefix("http://"),
                    "smileback-scorer": f"127.0.0.1:{scorer_port}",
                    "smileback-alerts": f"127.0.0.1:{alerts_port}",
                    "smileback-api": f"127.0.0.1:{api_port}",
                }
                config.write_text(scrape_config(jobs=jobs))
                with running_prometheus(config=config, workdir=tmp_path) as prometheus:
                    # Prometheus takes up its targets some seconds after it is ready: a counter
                    # first scraped after the feed would show no increase.
                    scraped = 'up{job=~"smileback-.*"} == 1'
                    _wait_until(
                        lambda: len(instant(prometheus, scraped)) == len(jobs),
                        "every service scraped",
                        services=services,
                    )
                    _feed(env=env, scenario=scenario, webhook_url=webhook.url, tmp_path=tmp_path)
                    api = f"http://127.0.0.1:{api_port}"
                    incident = incident_id_for(brand="acme", thread_root_id=facts.complaint_root_id)
                    _acknowledge(api=api, incident=incident, receiver=receiver, services=services)
                    _second_wave(prometheus, webhook_url=webhook.url, services=services)
                    missing = _wait_for_data(prometheus, queries, services=services)
                    if missing:
                        pytest.fail(
                            "queries without data:\n"
                            + "\n".join(f"{name}: {expr}" for name, expr in missing.items())
                            + "\n"
                            + "\n".join(s.tail(lines=20) for s in services)
                        )
                    # The pipeline's panels see every stage, from every service scraped.
                    throughput = queries["pipeline / Throughput by stage / {{stage}} {{outcome}}"]
                    stages = {s["metric"]["stage"] for s in instant(prometheus, throughput)}
                    assert {"ingest", "scorer", "alerts", "api.projector"} <= stages
        finally:
            for service in services:
                service.stop()


def _feed(*, env: dict[str, str], scenario: Path, webhook_url: str, tmp_path: Path) -> None:
    """The replay; a batch through the webhook and one it refuses; a record the scorer cannot
    read (its DLQ); an API call without a token (an error answer)."""
    replay = ServiceProcess(
        args=["ingest", "replay", "--input", str(scenario)],
        env=env,
        log_path=tmp_path / "ingest-replay.log",
    )
    with replay:
        assert replay.proc is not None
        assert replay.proc.wait(180) == 0, replay.tail()
    batch = [{"id": f"hook-{i}", "text": f"acme coffee hello number {i}"} for i in range(3)]
    assert post(webhook_url, batch).status_code == 202
    assert post(webhook_url, batch, signature="v1,AAAA").status_code == 401
    raw = f"{env['SMILEBACK_TOPIC_PREFIX']}mentions.raw"
    produce(env["SMILEBACK_KAFKA_BOOTSTRAP"], raw, [("broken", b"{not json")])
    refused = httpx.get(f"http://127.0.0.1:{env['SMILEBACK_API_PORT']}/v1/mentions")
    assert refused.status_code == 401


def _acknowledge(
    *, api: str, incident: str, receiver: Receiver, services: list[ServiceProcess]
) -> None:
    """Wait for the complaint's page, then acknowledge its incident once the API has it."""
    deadline = time.monotonic() + WAIT_S
    while True:
        assert all(s.alive() for s in services), "\n".join(s.tail() for s in services)
        if receiver.pages():
            answer = httpx.post(
                f"{api}/v1/incidents/{incident}/acknowledge",
                json={"on_behalf_of": "dana"},
                headers=AUTH,
                timeout=10,
            )
            if answer.status_code == 200:
                return
            assert answer.status_code == 404, answer.text  # not projected yet
        assert time.monotonic() < deadline, "no page, or its incident never reached the API"
        time.sleep(1)


def _second_wave(prometheus: str, *, webhook_url: str, services: list[ServiceProcess]) -> None:
    """Once Prometheus holds the first page's and the first mentions' series, another
    complaint that pages and more mentions: a rate (and so a quantile or a share) needs a
    series to grow between two scrapes, and a labelled series born with the first wave may
    first be scraped with all of that wave in it."""
    _wait_until(
        lambda: all(
            instant(prometheus, metric)
            for metric in (
                "smileback_page_latency_seconds_count",
                "smileback_mention_negativity_count",
            )
        ),
        "the first wave's series in Prometheus",
        services=services,
    )
    complaint = {
        "id": "hook-complaint",
        "text": "@acmecoffee the acme app charged me twice and support ignores me. "
        "Disgraceful, never again.",
        "author": {"id": "loud", "handle": "bigvoice", "followers": 2_000_000},
    }
    chatter = [{"id": f"hook-late-{i}", "text": f"acme coffee again, visit {i}"} for i in range(3)]
    assert post(webhook_url, [complaint, *chatter]).status_code == 202


def _wait_until(check: Callable[[], bool], what: str, *, services: list[ServiceProcess]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        assert all(s.alive() for s in services), "\n".join(s.tail() for s in services)
        assert time.monotonic() < deadline, f"not seen within {WAIT_S:.0f} s: {what}"
        time.sleep(1)


def _wait_for_data(
    prometheus: str, queries: dict[str, str], *, services: list[ServiceProcess]
) -> dict[str, str]:
    """Poll until every query has data; what still has none when time runs out."""
    missing = dict(queries)
    deadline = time.monotonic() + WAIT_S
    while missing and time.monotonic() < deadline:
        assert all(s.alive() for s in services), "\n".join(s.tail() for s in services)
        missing = {name: e for name, e in missing.items() if not _has_data(instant(prometheus, e))}
        time.sleep(2)
    return missing
