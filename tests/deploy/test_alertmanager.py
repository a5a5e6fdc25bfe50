"""deploy/alertmanager/: amtool accepts the config, every alert of the rules reaches the
receiver of its severity, and no receiver URL is written in the file."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.support.monitoring import ALERTMANAGER_CONFIG, Tool, alert_rules

AMTOOL = Tool("amtool")
RECEIVER_OF = {"critical": "smileback-critical", "warning": "smileback-warning"}


def test_the_config_and_its_templates_pass_amtool_check_config() -> None:
    output = AMTOOL.check("check-config", ALERTMANAGER_CONFIG)
    assert "2 receivers" in output
    assert "1 templates" in output


@pytest.mark.parametrize("name", sorted(alert_rules()))
def test_each_alert_is_routed_to_the_receiver_of_its_severity(name: str) -> None:
    severity = alert_rules()[name]["labels"]["severity"]
    # --verify.receivers makes amtool exit 1 when the route picks another receiver.
    AMTOOL.check(
        "config",
        "routes",
        "test",
        f"--config.file={ALERTMANAGER_CONFIG}",
        f"--verify.receivers={RECEIVER_OF[severity]}",
        f"alertname={name}",
        f"severity={severity}",
        "service=scorer",
    )


def test_an_alert_without_a_severity_still_reaches_a_receiver() -> None:
    output = AMTOOL.check(
        "config", "routes", "test", f"--config.file={ALERTMANAGER_CONFIG}", "alertname=Other"
    )
    assert output.split()[0] == "smileback-warning"


def test_alerts_are_grouped_by_alert_and_service() -> None:
    route = yaml.safe_load(ALERTMANAGER_CONFIG.read_text())["route"]
    assert route["group_by"] == ["alertname", "service"]


def _settings(receiver: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        config
        for key, configs in receiver.items()
        if key.endswith("_configs")
        for config in configs
    ]


def test_receiver_urls_come_from_secret_files_only() -> None:
    receivers = yaml.safe_load(ALERTMANAGER_CONFIG.read_text())["receivers"]
    assert {r["name"] for r in receivers} == set(RECEIVER_OF.values())
    for receiver in receivers:
        for config in _settings(receiver):
            assert config["api_url_file"].startswith("/run/secrets/")
            assert not {"api_url", "url"} & set(config), receiver["name"]
