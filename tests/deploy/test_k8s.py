"""deploy/k8s: each overlay renders with kustomize, every object passes
`kubernetes-validate --strict`, and the manifests agree with the code they run.

kubernetes-validate ships the schemas of Kubernetes' own kinds only. The custom resources
(Strimzi's KafkaTopic and KafkaUser, the Prometheus operator's ServiceMonitor and
PrometheusRule) are validated as strictly against the schemas of the CRDs their operators
publish (tests/data/crds, copied from the operators' repositories: an unknown field is an
error), their metadata against Kubernetes' ObjectMeta, and their content by the checks
below (topics against smileback.common.topics, monitors against the Services; the rules
come from scripts/k8s_rules.py, tested in tests/scripts/test_k8s_rules.py).
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from importlib import resources
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import SchemaNotFoundError

from smileback.common.topics import PARTITIONS, Topics
from tests.support.deploy import (
    LISTENS,
    PROBES,
    ROOT,
    kustomize_build,
    resolve_command,
    secret_settings,
    settings_from,
    variables_of,
)

K8S = ROOT / "deploy" / "k8s"
OVERLAYS = sorted(path.name for path in (K8S / "overlays").iterdir() if path.is_dir())
# The oldest Kubernetes the manifests are written for (autoscaling/v2, policy/v1, ...).
KUBERNETES_VERSION = "1.32.0"
CRDS = ROOT / "tests" / "data" / "crds"
SECRET = "smileback-secrets"
# Each service's Kafka password: its KafkaUser's Secret, copied from the Kafka namespace.
KAFKA_PASSWORD = "SMILEBACK_KAFKA_SASL_PASSWORD"
KAFKA_PASSWORD_SECRET = "smileback-kafka-{service}"


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return kustomize_build(K8S / "overlays" / request.param)


def _object_meta_schema() -> dict[str, Any]:
    schemas = resources.files(kubernetes_validate) / "kubernetes-json-schema"
    definitions = json.loads(
        (schemas / f"v{KUBERNETES_VERSION}-local-strict" / "_definitions.json").read_text()
    )
    defs = definitions["$defs"]
    return {**defs["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"], "$defs": defs}


def _strict(schema: Any) -> Any:
    """An OpenAPI schema of a CRD where an object with `properties` takes no other field,
    as `kubectl apply --validate=strict` has it, unless it preserves unknown fields."""
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    strict = {key: _strict(value) for key, value in schema.items()}
    preserves = schema.get("x-kubernetes-preserve-unknown-fields", False)
    if "properties" in schema and "additionalProperties" not in schema and not preserves:
        strict["additionalProperties"] = False
    return strict


def _custom_resource_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> the strict schema of each served version of tests/data/crds."""
    schemas = {}
    for path in sorted(CRDS.glob("*.yaml")):
        for crd in filter(None, yaml.safe_load_all(path.read_text())):
            spec = crd["spec"]
            for version in spec["versions"]:
                if version.get("served"):
                    api_version = f"{spec['group']}/{version['name']}"
                    schema = _strict(version["schema"]["openAPIV3Schema"])
                    schemas[(api_version, spec["names"]["kind"])] = schema
    return schemas


def validation_problems(objects: list[dict[str, Any]]) -> list[str]:
    """What kubernetes-validate --strict finds wrong, object by object; a custom resource,
    which it has no schema for, is held to its CRD's schema and its metadata to ObjectMeta."""
    problems = []
    meta = jsonschema.Draft202012Validator(_object_meta_schema())
    custom = _custom_resource_schemas()
    for obj in objects:
        where = f"{obj['kind']}/{obj['metadata']['name']}"
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except SchemaNotFoundError:
            schema = custom.get((obj["apiVersion"], obj["kind"]))
            if schema is None:
                problems.append(f"{where}: no schema for {obj['apiVersion']}")
                continue
            errors = jsonschema.Draft202012Validator(schema).iter_errors(obj)
            problems += [f"{where}: {'.'.join(map(str, e.path))}: {e.message}" for e in errors]
            problems += [
                f"{where}: metadata: {e.message}" for e in meta.iter_errors(obj["metadata"])
            ]
        except kubernetes_validate.ValidationError as exc:
            problems.append(f"{where}: {'.'.join(map(str, exc.path))}: {exc.message}")
    return problems


def of_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {obj["metadata"]["name"]: obj for obj in objects if obj["kind"] == kind}


def test_every_overlay_is_found() -> None:
    assert {"dev", "prod"} <= set(OVERLAYS)


def test_every_object_passes_strict_validation(rendered) -> None:
    assert validation_problems(rendered) == []
    kinds = Counter(obj["kind"] for obj in rendered)
    assert kinds["Deployment"] == 4
    assert kinds["KafkaTopic"] == len(PARTITIONS)


def test_validation_catches_misspelt_fields_and_retired_versions(rendered) -> None:
    broken = copy.deepcopy(rendered)
    deployment = next(obj for obj in broken if obj["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    monitor = next(obj for obj in broken if obj["kind"] == "ServiceMonitor")
    monitor["metadata"]["lables"] = {}
    monitor["spec"]["endpoints"][0]["intervall"] = "15s"
    user = next(obj for obj in broken if obj["kind"] == "KafkaUser")
    user["spec"]["authorization"]["acls"][0]["operations"] = ["Wrtie"]
    topic = next(obj for obj in broken if obj["kind"] == "KafkaTopic")
    topic["apiVersion"] = "kafka.strimzi.io/v1beta2"  # gone since Strimzi 1.0
    problems = validation_problems(broken)
    assert len(problems) == 5, problems
    for found in ("livenesProbe", "lables", "intervall", "Wrtie", "no schema for"):
        assert any(found in problem for problem in problems), found


def test_the_topics_are_those_of_smileback_common(rendered) -> None:
    topics = Topics(prefix="smileback.")
    found = {
        topic["spec"]["topicName"]: (topic["spec"]["partitions"], topic["spec"]["config"])
        for topic in of_kind(rendered, "KafkaTopic").values()
    }
    assert {name: parts for name, (parts, _) in found.items()} == topics.all()
    for name, (_, config) in found.items():
        assert config["cleanup.policy"] == topics.configs(name).get("cleanup.policy", "delete")
    (common,) = [c for n, c in of_kind(rendered, "ConfigMap").items() if "common" in n]
    assert common["data"]["SMILEBACK_TOPIC_PREFIX"] == topics.prefix


def test_the_users_name_only_smileback_topics_and_groups(rendered) -> None:
    topics = set(Topics(prefix="smileback.").all())
    for user in of_kind(rendered, "KafkaUser").values():
        for acl in user["spec"]["authorization"]["acls"]:
            resource = acl["resource"]
            if resource["type"] == "topic" and resource["patternType"] == "literal":
                assert resource["name"] in topics, user["metadata"]["name"]
            else:
                assert resource["name"].startswith("smileback"), user["metadata"]["name"]


def test_each_service_logs_in_to_kafka_as_its_own_kafka_user(rendered) -> None:
    users = of_kind(rendered, "KafkaUser")
    for name, container in _containers(rendered):
        user = _environment(container, rendered)["SMILEBACK_KAFKA_SASL_USERNAME"]
        assert user == f"smileback-{resolve_command(container['args'])[0]}", name
        assert users[user]["spec"]["authentication"]["type"] == "scram-sha-512", name


def test_only_alerts_and_the_api_may_write_incidents(rendered) -> None:
    writers = {
        name
        for name, user in of_kind(rendered, "KafkaUser").items()
        for acl in user["spec"]["authorization"]["acls"]
        if acl["resource"]["type"] == "topic"
        and _names(acl["resource"], Topics(prefix="smileback.").incidents)
        and {"Write", "All"} & set(acl["operations"])
    }
    assert writers == {"smileback-alerts", "smileback-api"}


def _names(resource: dict[str, Any], topic: str) -> bool:
    if resource["patternType"] == "prefix":
        return topic.startswith(resource["name"])
    return bool(resource["name"] == topic)


# The dev overlay's test cluster has a plain listener; production speaks SCRAM over TLS.
PROTOCOLS = {"dev": "PLAINTEXT", "prod": "SASL_SSL"}


def test_every_overlay_has_its_kafka_security_protocol() -> None:
    assert set(PROTOCOLS) == set(OVERLAYS)


def test_the_clients_speak_the_overlay_s_protocol_and_trust_the_mounted_ca(
    rendered, request: pytest.FixtureRequest
) -> None:
    common = next(c for n, c in of_kind(rendered, "ConfigMap").items() if "common" in n)["data"]
    protocol = PROTOCOLS[request.node.callspec.params["rendered"]]
    assert common.get("SMILEBACK_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT") == protocol
    if protocol == "PLAINTEXT":
        assert "SMILEBACK_KAFKA_SSL_CAFILE" not in common
        return
    assert "SMILEBACK_KAFKA_SASL_MECHANISM" not in common  # SCRAM-SHA-512, the default
    cafile = common["SMILEBACK_KAFKA_SSL_CAFILE"]
    for name, deployment in of_kind(rendered, "Deployment").items():
        spec = deployment["spec"]["template"]["spec"]
        volumes = {volume["name"]: volume for volume in spec["volumes"]}
        (container,) = spec["containers"]
        mounts = [
            mount
            for mount in container["volumeMounts"]
            if cafile.startswith(mount["mountPath"] + "/")
        ]
        assert len(mounts) == 1, name
        secret = volumes[mounts[0]["name"]]["secret"]
        assert secret["secretName"] == "smileback-kafka-ca", name
        assert [item["path"] for item in secret["items"]] == [
            cafile.removeprefix(mounts[0]["mountPath"] + "/")
        ], name


def test_the_scorer_autoscales_no_further_than_the_raw_topic_s_partitions(rendered) -> None:
    hpa = of_kind(rendered, "HorizontalPodAutoscaler")["scorer"]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "scorer"
    assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    assert hpa["spec"]["maxReplicas"] <= PARTITIONS["mentions.raw"]
    assert "replicas" not in of_kind(rendered, "Deployment")["scorer"]["spec"]


def _containers(objects: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (obj["metadata"]["name"], container)
        for obj in objects
        if obj["kind"] in ("Deployment", "Job")
        for container in obj["spec"]["template"]["spec"]["containers"]
    ]


def _secrets_example() -> dict[str, str]:
    """The keys and example values of Secret smileback-secrets."""
    lines = (K8S / "secrets.env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def _environment(container: dict[str, Any], objects: list[dict[str, Any]]) -> dict[str, str]:
    """The container's variables: its ConfigMaps' values, its secrets' example values."""
    config_maps = of_kind(objects, "ConfigMap")
    variables: dict[str, str] = {}
    for source in container.get("envFrom", []):
        variables |= config_maps[source["configMapRef"]["name"]]["data"]
    examples = _secrets_example() | {KAFKA_PASSWORD: "example-kafka-password"}
    for entry in container.get("env", []):
        variables[entry["name"]] = entry.get("value") or examples[entry["name"]]
    return variables


def test_every_container_runs_a_real_command_with_its_own_valid_settings(rendered) -> None:
    for name, container in _containers(rendered):
        command = resolve_command(container["args"])
        variables = _environment(container, rendered)
        assert set(variables) <= variables_of(command), name
        settings_from(command, variables)  # a ConfigError here names the bad variable


def test_secrets_are_referenced_never_given(rendered) -> None:
    assert of_kind(rendered, "Secret") == {}
    referenced = set()
    for name, container in _containers(rendered):
        command = resolve_command(container["args"])
        refs = {
            entry["name"]: entry["valueFrom"]["secretKeyRef"]
            for entry in container.get("env", [])
            if "secretKeyRef" in entry.get("valueFrom", {})
        }
        assert all(entry.get("valueFrom") for entry in container.get("env", [])), name
        # Every secret setting, and the database URL, which holds a password.
        assert secret_settings(command) <= set(refs) <= variables_of(command), name
        kafka = refs.pop(KAFKA_PASSWORD)
        user = _environment(container, rendered)["SMILEBACK_KAFKA_SASL_USERNAME"]
        assert (kafka["name"], kafka["key"]) == (
            KAFKA_PASSWORD_SECRET.format(service=user.removeprefix("smileback-")),
            "password",
        ), name
        for variable, ref in refs.items():
            assert (ref["name"], ref["key"]) == (SECRET, variable)
        referenced |= set(refs)
    assert set(_secrets_example()) == referenced
    in_config_maps = {key for cm in of_kind(rendered, "ConfigMap").values() for key in cm["data"]}
    assert not in_config_maps & referenced


def test_probes_ports_and_monitors_are_where_each_service_listens(rendered) -> None:
    services = of_kind(rendered, "Service")
    monitors = of_kind(rendered, "ServiceMonitor")
    budgets = of_kind(rendered, "PodDisruptionBudget")
    for name, deployment in of_kind(rendered, "Deployment").items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        command = resolve_command(container["args"])
        settings = settings_from(command, _environment(container, rendered))
        port_field, host_field = LISTENS[command]
        assert getattr(settings, host_field) == "0.0.0.0", name
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        (port_name,) = ports
        assert ports[port_name] == getattr(settings, port_field), name
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port_name}
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port_name}
        assert (
            container.get("startupProbe", {"httpGet": {"path": "/healthz"}})["httpGet"]["path"]
            in PROBES
        )
        for kind in ("requests", "limits"):
            assert set(container["resources"][kind]) == {"cpu", "memory"}, name
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert budgets[name]["spec"]["selector"]["matchLabels"].items() <= labels.items()
        service = services[name]
        assert service["spec"]["selector"].items() <= labels.items()
        (service_port,) = service["spec"]["ports"]
        assert service_port["targetPort"] == port_name
        (endpoint,) = monitors[name]["spec"]["endpoints"]
        assert (endpoint["port"], endpoint["path"]) == (service_port["name"], "/metrics")
        assert monitors[name]["spec"]["selector"]["matchLabels"].items() <= (
            service["metadata"]["labels"].items()
        )


def test_the_monitors_name_their_jobs_as_the_compose_prometheus_does(rendered) -> None:
    """The alert rules and dashboards select by `job`: the same names under the operator."""
    config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    services = of_kind(rendered, "Service")
    monitors = of_kind(rendered, "ServiceMonitor")
    compared = 0
    for job in config["scrape_configs"]:
        for target in (t for c in job.get("static_configs", []) for t in c["targets"]):
            host, port = target.split(":")
            if host not in monitors:
                continue
            label = monitors[host]["spec"]["jobLabel"]
            assert services[host]["metadata"]["labels"][label] == job["job_name"]
            assert services[host]["spec"]["ports"][0]["port"] == int(port)
            compared += 1
    assert compared >= 3


def test_only_prometheus_and_each_service_s_own_clients_get_in(rendered) -> None:
    policies = of_kind(rendered, "NetworkPolicy")
    deny = policies["default-deny-ingress"]["spec"]
    assert deny["podSelector"] == {}
    assert "ingress" not in deny
    scrape = policies["allow-prometheus-scrape"]["spec"]
    (rule,) = scrape["ingress"]
    allowed = {port["port"] for port in rule["ports"]}
    for name, container in _containers(rendered):
        assert {port["name"] for port in container.get("ports", [])} <= allowed, name
    open_to_all = {
        policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
        for policy in policies.values()
        if any("from" not in rule for rule in policy["spec"].get("ingress", []))
    }
    assert open_to_all == {"api", "ingest"}
