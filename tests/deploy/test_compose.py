"""docker-compose.yml agrees with the code it runs.

Every Smileback service runs a real `smileback` command; every SMILEBACK_ variable it sets, in
its environment or as a secret, is a setting of that service and parses; its health check
probes the port and endpoint the service really serves; every secret a notifier (or any
other setting of the service) needs is delivered as a compose secret and never through the
environment; kafka-init creates the topics of `smileback.common.topics`; the monitoring
containers mount the files this repository keeps for them.

The file is also validated against the Compose Specification's JSON schema
(tests/data/compose-spec.json, schema/compose-spec.json of compose-spec/compose-spec as of
June 2026, Apache-2.0), the schema `docker compose` itself checks a file against.

Each check returns its problems, so the tests can also show that a broken file is caught.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from pydantic_settings import BaseSettings

from smileback.common.errors import ConfigError
from smileback.common.topics import Topics
from tests.support.deploy import (
    LISTENS,
    PROBES,
    ROOT,
    SETTINGS,
    resolve_command,
    secret_settings,
    settings_from,
    variables_of,
)

COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SPECIFICATION = json.loads((ROOT / "tests" / "data" / "compose-spec.json").read_text())


def smileback_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services that run the Smileback image."""
    return {
        name: service
        for name, service in compose["services"].items()
        if str(service.get("image", "")).startswith("smileback:")
    }


def interpolate(value: Any) -> str:
    """`value` as compose would pass it, with `${VAR:?...}` and `${VAR}` set to a placeholder
    (the host's values are not known here) and `${VAR:-default}` to its default."""

    def one(match: re.Match[str]) -> str:
        if match[0] == "$$":
            return "$"
        return match["default"] if match["op"] in (":-", "-") else "placeholder"

    pattern = r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<default>[^}]*))?\}"
    return re.sub(pattern, one, str(value))


def environment(service: dict[str, Any]) -> dict[str, str]:
    return {key: interpolate(value) for key, value in (service.get("environment") or {}).items()}


def secret_names(service: dict[str, Any]) -> list[str]:
    return [s if isinstance(s, str) else s["source"] for s in service.get("secrets", [])]


def effective_settings(service: dict[str, Any]) -> tuple[tuple[str, ...], BaseSettings]:
    """The command a service runs and the settings it starts with: its environment plus its
    secrets (as the entrypoint exports them)."""
    command = resolve_command(service["command"])
    variables = environment(service) | dict.fromkeys(secret_names(service), "placeholder-secret")
    return command, settings_from(command, variables)


def unknown_variables(compose: dict[str, Any]) -> list[str]:
    """SMILEBACK_ variables a service sets (environment or secret) that it does not read."""
    problems = []
    for name, service in smileback_services(compose).items():
        command = resolve_command(service["command"])
        known = variables_of(command)
        for variable in [*environment(service), *secret_names(service)]:
            if variable.startswith("SMILEBACK_") and variable not in known:
                cls = SETTINGS[command[0]].__name__
                problems.append(f"{name}: {variable} is no setting of {cls}")
    return problems


def secret_problems(compose: dict[str, Any]) -> list[str]:
    """Secret settings missing from a service's compose secrets, or passed in its environment,
    and secrets not read from the host variable of the same name."""
    problems = []
    declared = compose.get("secrets", {})
    for name, service in smileback_services(compose).items():
        given = set(secret_names(service))
        needed = secret_settings(resolve_command(service["command"]))
        protocol = environment(service).get("SMILEBACK_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
        if not protocol.startswith("SASL_"):
            needed -= {"SMILEBACK_KAFKA_SASL_PASSWORD"}  # no SASL login, no password
        for variable in sorted(needed):
            if variable not in given:
                problems.append(f"{name}: secret {variable} is not listed")
            if variable in environment(service):
                problems.append(f"{name}: secret {variable} is in the environment")
        for secret in sorted(given):
            if declared.get(secret) != {"environment": secret}:
                problems.append(f"{name}: secret {secret} is not read from ${secret}")
    return problems


def specification_problems(compose: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(SPECIFICATION)
    return [
        f"{'.'.join(map(str, error.path))}: {error.message}"
        for error in validator.iter_errors(compose)
    ]


def test_the_file_follows_the_compose_specification() -> None:
    assert specification_problems(COMPOSE) == []


def test_a_misspelt_key_breaks_the_specification() -> None:
    broken = copy.deepcopy(COMPOSE)
    api = broken["services"]["api"]
    api["healtcheck"] = api.pop("healthcheck")
    broken["secrets"]["SMILEBACK_API_TOKEN"] = {"enviroment": "SMILEBACK_API_TOKEN"}
    problems = specification_problems(broken)
    assert len(problems) == 2, problems
    assert "'healtcheck' does not match" in problems[0] + problems[1]
    assert "'enviroment' does not match" in problems[0] + problems[1]


def test_the_four_services_are_deployed_and_each_runs_a_real_command() -> None:
    services = smileback_services(COMPOSE)
    paths = {name: resolve_command(service["command"]) for name, service in services.items()}
    assert paths == {
        "ingest": ("ingest", "webhook"),
        "ingest-replay": ("ingest", "replay"),
        "scorer": ("scorer",),
        "alerts": ("alerts",),
        "api": ("api",),
    }


def test_a_misspelt_command_or_option_is_refused() -> None:
    resolve_command(["ingest", "replay", "--input", "/data/mentions.jsonl"])
    with pytest.raises(Exception, match="No such command 'scorerr'"):
        resolve_command(["scorerr"])
    with pytest.raises(Exception, match="No such option: --inptu"):
        resolve_command(["ingest", "replay", "--inptu", "/data/mentions.jsonl"])


def test_every_variable_a_service_sets_is_one_of_its_settings() -> None:
    assert unknown_variables(COMPOSE) == []


def test_a_misspelt_variable_or_one_of_another_service_is_caught() -> None:
    broken = copy.deepcopy(COMPOSE)
    broken["services"]["scorer"]["environment"]["SMILEBACK_METRIC_PORT"] = "9100"
    broken["services"]["api"]["environment"]["SMILEBACK_METRICS_PORT"] = "9100"
    assert unknown_variables(broken) == [
        "scorer: SMILEBACK_METRIC_PORT is no setting of ScorerSettings",
        "api: SMILEBACK_METRICS_PORT is no setting of ApiSettings",
    ]


@pytest.mark.parametrize("name", sorted(smileback_services(COMPOSE)))
def test_each_service_starts_with_valid_settings(name: str) -> None:
    service = smileback_services(COMPOSE)[name]
    path, settings = effective_settings(service)
    assert isinstance(settings, SETTINGS[path[0]])


def test_an_invalid_value_is_caught() -> None:
    service = copy.deepcopy(smileback_services(COMPOSE)["scorer"])
    service["environment"]["SMILEBACK_METRICS_PORT"] = "91OO"
    with pytest.raises(ConfigError, match="SMILEBACK_METRICS_PORT: must be a whole number"):
        effective_settings(service)


@pytest.mark.parametrize("name", ["ingest", "scorer", "alerts", "api"])
def test_health_check_and_published_port_are_where_the_service_listens(name: str) -> None:
    service = smileback_services(COMPOSE)[name]
    path, settings = effective_settings(service)
    port_field, host_field = LISTENS[path]
    port = getattr(settings, port_field)
    # Reachable from Prometheus and the host's port, not only from inside the container.
    assert getattr(settings, host_field) == "0.0.0.0"
    check = service["healthcheck"]["test"]
    assert check[:2] == ["CMD", "smileback-healthcheck"]
    url = urlsplit(check[2])
    assert (url.hostname, url.port) == ("127.0.0.1", port)
    assert url.path in PROBES
    for published in service.get("ports", []):
        assert int(str(published).rsplit(":", 1)[1]) == port


def test_every_secret_a_service_reads_is_a_compose_secret_from_the_host() -> None:
    assert secret_problems(COMPOSE) == []
    alerts = set(secret_names(COMPOSE["services"]["alerts"]))
    # The notifiers' credentials: PagerDuty, Slack, the signed webhook and SMTP.
    assert {
        "SMILEBACK_PAGERDUTY_ROUTING_KEY",
        "SMILEBACK_SLACK_WEBHOOK_URL",
        "SMILEBACK_WEBHOOK_SECRET",
        "SMILEBACK_SMTP_PASSWORD",
    } <= alerts


def test_a_missing_or_leaked_secret_is_caught() -> None:
    broken = copy.deepcopy(COMPOSE)
    broken["services"]["scorer"]["environment"]["SMILEBACK_KAFKA_SECURITY_PROTOCOL"] = "SASL_SSL"
    alerts = broken["services"]["alerts"]
    alerts["secrets"].remove("SMILEBACK_SLACK_WEBHOOK_URL")
    alerts["environment"]["SMILEBACK_SMTP_PASSWORD"] = "${SMILEBACK_SMTP_PASSWORD}"
    broken["secrets"]["SMILEBACK_API_TOKEN"] = {"file": "./token.txt"}
    assert secret_problems(broken) == [
        "scorer: secret SMILEBACK_KAFKA_SASL_PASSWORD is not listed",
        "alerts: secret SMILEBACK_SLACK_WEBHOOK_URL is not listed",
        "alerts: secret SMILEBACK_SMTP_PASSWORD is in the environment",
        "api: secret SMILEBACK_API_TOKEN is not read from $SMILEBACK_API_TOKEN",
    ]


def test_kafka_init_creates_the_topics_the_services_expect() -> None:
    topics = Topics(prefix="smileback.")
    created = {}
    for spec in COMPOSE["services"]["kafka-init"]["environment"]["TOPICS"].split():
        suffix, partitions, policy = spec.split(":")
        created[f"smileback.{suffix}"] = (int(partitions), policy)
    expected = {
        name: (partitions, topics.configs(name).get("cleanup.policy", "delete"))
        for name, partitions in topics.all().items()
    }
    assert created == expected
    prefixes = {
        environment(s)["SMILEBACK_TOPIC_PREFIX"] for s in smileback_services(COMPOSE).values()
    }
    assert prefixes == {topics.prefix}


def test_the_config_files_the_services_read_are_mounted_and_have_an_example() -> None:
    for name in ("alerts", "api"):
        service = COMPOSE["services"][name]
        mounts = dict(volume.split(":")[1::-1] for volume in service["volumes"])
        for variable in ("SMILEBACK_POLICY_FILE", "SMILEBACK_ONCALL_FILE"):
            if variable not in service["environment"]:
                continue
            path = Path(service["environment"][variable])
            host = ROOT / mounts[str(path.parent)]
            assert (host / f"{path.stem}.example{path.suffix}").is_file(), variable


def test_the_monitoring_containers_mount_this_repository_s_files() -> None:
    services = COMPOSE["services"]

    def mounts(name: str) -> dict[str, str]:
        return {v.split(":")[1]: v.split(":")[0] for v in services[name]["volumes"]}

    assert mounts("prometheus")["/etc/prometheus"] == "./deploy/prometheus"
    assert "--config.file=/etc/prometheus/prometheus.yml" in services["prometheus"]["command"]
    assert mounts("alertmanager")["/etc/alertmanager"] == "./deploy/alertmanager"
    grafana = mounts("grafana")
    assert grafana["/etc/grafana/provisioning"] == "./deploy/grafana/provisioning"
    provisioning = ROOT / "deploy" / "grafana" / "provisioning"
    (provider,) = yaml.safe_load((provisioning / "dashboards" / "smileback.yml").read_text())[
        "providers"
    ]
    assert grafana[provider["options"]["path"]] == "./deploy/grafana/dashboards"
    (source,) = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())[
        "datasources"
    ]
    url = urlsplit(source["url"])
    assert url.hostname in services
    assert f"127.0.0.1:{url.port}:{url.port}" in services[url.hostname]["ports"]


def test_alertmanager_reads_its_receivers_urls_from_compose_secrets() -> None:
    given = set(secret_names(COMPOSE["services"]["alertmanager"]))
    assert given == {"alertmanager-critical-url", "alertmanager-warning-url"}
    for secret in given:
        assert COMPOSE["secrets"][secret] == {"environment": secret.upper().replace("-", "_")}
    # Every secret file deploy/alertmanager/alertmanager.yml names (once it is there) is one.
    config = ROOT / "deploy" / "alertmanager" / "alertmanager.yml"
    named = (
        set(re.findall(r"/run/secrets/([\w.-]+)", config.read_text())) if config.exists() else set()
    )
    assert named <= given
