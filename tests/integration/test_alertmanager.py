"""A stopped service is paged: a real Prometheus scrapes `smileback ingest webhook` with the
real scrape job and target-down rule (its `for:` shortened), a real Alertmanager routes the
alert with the real config, and its receiver, a local HTTP server, gets the message."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.support.infra import free_ports
from tests.support.monitoring import (
    ALERTMANAGER_CONFIG,
    PROMETHEUS_CONFIG,
    RULES,
    alert_rules,
    query,
    running_alertmanager,
    running_prometheus,
)
from tests.support.processes import ServiceProcess
from tests.support.receivers import SLACK_OK, Receiver
from tests.support.webhook_ingest import SECRET

ALERT = "SmilebackTargetDown"
JOB = "smileback-ingest"
DELIVERY_TIMEOUT_S = 120.0


def _rules_with_short_for(*, path: Path) -> None:
    """The real target-down rule, its `for:` cut to seconds so the test need not wait minutes."""
    rule = {**alert_rules(RULES)[ALERT], "for": "3s"}
    path.write_text(yaml.safe_dump({"groups": [{"name": "smileback-test", "rules": [rule]}]}))


def _prometheus_config(*, path: Path, rules: Path, target: str, alertmanager: str) -> None:
    """deploy/prometheus/prometheus.yml with second intervals, `rules`, this Alertmanager,
    and only the ingest job (its labels kept), pointed at `target`."""
    config: dict[str, Any] = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [str(rules)]
    config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] = [alertmanager]
    (job,) = [job for job in config["scrape_configs"] if job["job_name"] == JOB]
    job["static_configs"][0]["targets"] = [target]
    config["scrape_configs"] = [job]
    path.write_text(yaml.safe_dump(config))


def _alertmanager_config(*, path: Path, receiver_url: str) -> None:
    """deploy/alertmanager/alertmanager.yml with every receiver's URL file holding
    `receiver_url`, and its templates found where they are."""
    config: dict[str, Any] = yaml.safe_load(ALERTMANAGER_CONFIG.read_text())
    url_file = path.with_name("receiver-url")
    url_file.write_text(receiver_url)
    config["templates"] = [str(ALERTMANAGER_CONFIG.parent / t) for t in config["templates"]]
    for receiver in config["receivers"]:
        for slack in receiver["slack_configs"]:
            slack["api_url_file"] = str(url_file)
    path.write_text(yaml.safe_dump(config))


def _serves(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _wait(condition: Callable[[], object], *, timeout_s: float, why: Callable[[], str]) -> None:
    """Poll `condition` until it holds; past `timeout_s`, fail with `why()`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, why()
        time.sleep(0.5)


def _evaluated(prom: str) -> bool:
    """Whether Prometheus has evaluated the rule without error."""
    groups = httpx.get(f"{prom}/api/v1/rules", timeout=5).json()["data"]["groups"]
    return any(r["health"] == "ok" for g in groups for r in g["rules"] if r["name"] == ALERT)


def _firing(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        attachment
        for page in pages
        for attachment in page.get("attachments", [])
        if attachment.get("title", "").startswith("[FIRING")
    ]


def test_a_stopped_service_reaches_the_receiver_through_alertmanager(tmp_path: Path) -> None:
    (webhook_port,) = free_ports(count=1)
    service = ServiceProcess(
        args=["ingest", "webhook", "--port", str(webhook_port), "-o", str(tmp_path / "out.jsonl")],
        env={"SMILEBACK_INGEST_WEBHOOK_SECRET": SECRET, "SMILEBACK_BRANDS": '{"acme": ["acme"]}'},
        log_path=tmp_path / "webhook.log",
    )
    with Receiver(ok=SLACK_OK) as receiver, service:
        metrics = f"http://127.0.0.1:{webhook_port}/metrics"
        _wait(lambda: _serves(metrics), timeout_s=60, why=service.tail)

        _alertmanager_config(path=tmp_path / "alertmanager.yml", receiver_url=receiver.url)
        with running_alertmanager(config=tmp_path / "alertmanager.yml", workdir=tmp_path) as am:
            _rules_with_short_for(path=tmp_path / "rules.yml")
            _prometheus_config(
                path=tmp_path / "prometheus.yml",
                rules=tmp_path / "rules.yml",
                target=f"127.0.0.1:{webhook_port}",
                alertmanager=am.removeprefix("http://"),
            )
            with running_prometheus(config=tmp_path / "prometheus.yml", workdir=tmp_path) as prom:
                up = f'up{{job="{JOB}",service="ingest"}}'
                _wait(lambda: query(prom, up) == 1.0, timeout_s=60, why=lambda: "never scraped")
                # While the service is up, the evaluated rule stays quiet.
                _wait(lambda: _evaluated(prom), timeout_s=30, why=lambda: "the rule never ran")
                assert query(prom, f'ALERTS{{alertname="{ALERT}"}}') is None
                assert receiver.pages() == []

                service.stop()
                assert not service.alive()
                _wait(
                    lambda: _firing(receiver.pages()),
                    timeout_s=DELIVERY_TIMEOUT_S,
                    why=lambda: f"no firing alert delivered; got {receiver.pages()}",
                )

    (message, *_) = _firing(receiver.pages())
    assert message["title"] == f"[FIRING:1] {ALERT} on ingest"
    # Alertmanager links the alert list of the receiver the route chose.
    assert message["title_link"].endswith("receiver=smileback-critical")
    assert f"alertname={ALERT}" in message["text"]
    assert f"job={JOB}" in message["text"]
    assert "severity=critical" in message["text"]
