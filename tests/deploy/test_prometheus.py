"""deploy/prometheus/: the config and the alert rules pass promtool's checks, and the rules'
unit tests (deploy/prometheus/tests/) pass and leave no alert untested."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.support.monitoring import PROMETHEUS_CONFIG, RULE_TESTS, RULES, Tool, alert_rules

PROMTOOL = Tool("promtool")


def test_the_config_and_the_rules_it_loads_pass_promtool_check_config() -> None:
    output = PROMTOOL.check("check", "config", PROMETHEUS_CONFIG)
    # The config names the rules file, so check config read it: an empty rule_files would pass.
    assert "rules/smileback.yml" in output


def test_the_rules_pass_promtool_check_rules() -> None:
    output = PROMTOOL.check("check", "rules", RULES)
    assert f"{len(alert_rules())} rules found" in output


def test_the_rules_pass_their_unit_tests() -> None:
    assert RULE_TESTS, "deploy/prometheus/tests/ has no rule tests"
    PROMTOOL.check("test", "rules", *RULE_TESTS)


def _cases() -> list[dict[str, Any]]:
    return [
        case
        for path in RULE_TESTS
        for group in yaml.safe_load(path.read_text())["tests"]
        for case in group.get("alert_rule_test", [])
    ]


def test_every_alert_has_a_case_where_it_fires_and_one_where_it_must_not() -> None:
    fires = {case["alertname"] for case in _cases() if case.get("exp_alerts")}
    quiet = {case["alertname"] for case in _cases() if not case.get("exp_alerts")}
    alerts = set(alert_rules())
    assert alerts - fires == set(), "alerts without a test where they fire"
    assert alerts - quiet == set(), "alerts without a test where they must stay quiet"
    assert (fires | quiet) - alerts == set(), "tests of alerts the rules do not have"


@pytest.mark.parametrize("name", sorted(alert_rules()))
def test_every_alert_says_how_bad_and_what_to_do(name: str) -> None:
    rule = alert_rules()[name]
    assert rule["labels"]["severity"] in {"critical", "warning"}
    assert {"summary", "description", "runbook"} <= set(rule["annotations"])


def test_the_config_scrapes_every_service_and_sends_to_alertmanager() -> None:
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    services = {"ingest", "scorer", "alerts", "api"}
    assert {f"smileback-{s}" for s in services} <= set(jobs)
    # Alertmanager groups by `service`: every Smileback target must carry it.
    for service in services:
        for static in jobs[f"smileback-{service}"]["static_configs"]:
            assert static["labels"]["service"] == service
    targets = config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert targets == ["alertmanager:9093"]
