"""The image's entrypoint (secrets from files) and health check (deploy/docker/)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from types import ModuleType

import pytest

from smileback.common.health import Health, serve_health
from tests.support.deploy import ROOT, load_script

DOCKER = ROOT / "deploy" / "docker"


@pytest.fixture(scope="module")
def healthcheck() -> ModuleType:
    return load_script(DOCKER / "healthcheck.py")


def test_the_entrypoint_exports_each_non_empty_secret_file_and_runs_smileback(tmp_path):
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "SMILEBACK_PAGERDUTY_ROUTING_KEY").write_text("routing-key\n")
    (secrets / "SMILEBACK_SLACK_WEBHOOK_URL").write_text("")  # unset on the host
    (secrets / "SMILEBACK_bad-name").write_text("x")
    (secrets / "grafana_admin_password").write_text("not for us")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # A stand-in for the smileback command: what it was started with.
    fake = bin_dir / "smileback"
    fake.write_text('#!/bin/sh\necho "args: $*"\nenv | grep -E "^(SMILEBACK_|grafana)" | sort\n')
    fake.chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "SECRETS_DIR": str(secrets)}
    done = subprocess.run(
        ["sh", str(DOCKER / "entrypoint.sh"), "alerts", "--flag"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert done.stdout.splitlines() == [
        "args: alerts --flag",
        "SMILEBACK_PAGERDUTY_ROUTING_KEY=routing-key",
    ]
    assert "SMILEBACK_bad-name: not a variable name" in done.stderr


def test_the_entrypoint_runs_without_a_secrets_directory(tmp_path):
    fake = tmp_path / "smileback"
    fake.write_text('#!/bin/sh\necho "args: $*"\n')
    fake.chmod(0o755)
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin", "SECRETS_DIR": str(tmp_path / "absent")}
    done = subprocess.run(
        ["sh", str(DOCKER / "entrypoint.sh"), "api"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert done.stdout == "args: api\n"


def test_the_service_is_read_from_the_process_command_line(healthcheck):
    python = ["/opt/smileback/bin/python", "/opt/smileback/bin/smileback"]
    assert healthcheck.service_command([*python, "ingest", "webhook"]) == ["ingest", "webhook"]
    assert healthcheck.service_command(["smileback", "api"]) == ["api"]
    init = ["/sbin/docker-init", "--", "smileback-entrypoint", "scorer"]
    assert healthcheck.service_command(init) == ["scorer"]
    with pytest.raises(ValueError, match="not a smileback process"):
        healthcheck.service_command(["/bin/sh", "-c", "sleep 1"])


def test_each_service_s_liveness_is_on_the_port_its_settings_give(healthcheck, monkeypatch):
    for name in [name for name in os.environ if name.startswith("SMILEBACK_")]:
        monkeypatch.delenv(name)
    url = healthcheck.liveness_url
    assert url(["api"]) == "http://127.0.0.1:8000/healthz"
    assert url(["scorer"]) == "http://127.0.0.1:9100/healthz"
    assert url(["ingest", "webhook"]) == "http://127.0.0.1:8090/healthz"
    monkeypatch.setenv("SMILEBACK_METRICS_PORT", "9200")
    assert url(["alerts"]) == "http://127.0.0.1:9200/healthz"
    with pytest.raises(ValueError, match="serves no health endpoint"):
        url(["ingest", "replay", "--input", "x.jsonl"])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_check_passes_on_200_and_fails_on_503_or_no_answer(tmp_path):
    port = _free_port()
    # Live (its loop beats) but not ready (Kafka has not answered yet).
    server = serve_health(health=Health(needs=["kafka"]), port=port, host="127.0.0.1")
    assert server is not None
    script = str(DOCKER / "healthcheck.py")

    def check(url: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, script, url], capture_output=True, text=True, timeout=30
        )

    try:
        live = check(f"http://127.0.0.1:{port}/healthz")
        ready = check(f"http://127.0.0.1:{port}/readyz")
    finally:
        server.shutdown()
        server.server_close()
    assert (live.returncode, live.stdout) == (0, f"http://127.0.0.1:{port}/healthz: 200\n")
    assert (ready.returncode, ready.stdout) == (1, f"http://127.0.0.1:{port}/readyz: 503\n")
    gone = check(f"http://127.0.0.1:{port}/healthz")
    assert gone.returncode == 1
    assert gone.stdout.startswith("unhealthy: URLError")
