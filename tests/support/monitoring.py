"""Debian's Prometheus and Alertmanager for the tests: their check tools (promtool, amtool)
on the files in deploy/, the alert rules read from deploy/, and throwaway servers on free
ports that a test configures from those files."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.support.infra import REPO_ROOT, free_ports

__all__ = [
    "ALERTMANAGER_CONFIG",
    "PROMETHEUS_CONFIG",
    "RULES",
    "RULE_TESTS",
    "Tool",
    "alert_rules",
    "answers",
    "instant",
    "query",
    "running_alertmanager",
    "running_prometheus",
    "scrape_config",
]

PROMETHEUS_CONFIG = REPO_ROOT / "deploy" / "prometheus" / "prometheus.yml"
RULES = REPO_ROOT / "deploy" / "prometheus" / "rules" / "smileback.yml"
RULE_TESTS = sorted((REPO_ROOT / "deploy" / "prometheus" / "tests").glob("*.yml"))
ALERTMANAGER_CONFIG = REPO_ROOT / "deploy" / "alertmanager" / "alertmanager.yml"

_READY_TIMEOUT_S = 60.0


def _binary(name: str) -> str:
    # /usr/bin is where Debian puts them; `which` first for a PATH that has its own.
    return shutil.which(name) or f"/usr/bin/{name}"


class Tool:
    """A command-line tool whose clean exit a test asserts, with its output on failure."""

    def __init__(self, name: str) -> None:
        self.path = _binary(name)

    def check(self, *args: str | Path) -> str:
        """Run the tool from the repository root; its output, or an AssertionError with it."""
        done = subprocess.run(
            [self.path, *map(str, args)],
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        output = done.stdout + done.stderr
        command = " ".join([Path(self.path).name, *map(str, args)])
        assert done.returncode == 0, f"{command} exited {done.returncode}:\n{output}"
        return output


def alert_rules(path: Path = RULES) -> dict[str, dict[str, Any]]:
    """The alerting rules of a rules file by alert name (recording rules left out)."""
    groups = yaml.safe_load(path.read_text())["groups"]
    return {rule["alert"]: rule for group in groups for rule in group["rules"] if "alert" in rule}


@contextlib.contextmanager
def _serving(*, args: list[str], log: Path, ready: str) -> Iterator[None]:
    """Start a server, wait until `ready` answers 200, stop it with SIGTERM on exit. A server
    that refuses its flags or its config exits: the test says so with its log."""
    proc = subprocess.Popen(
        args, stdin=subprocess.DEVNULL, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + _READY_TIMEOUT_S
        while not answers(ready):
            tail = log.read_text(errors="replace")[-3000:]
            assert proc.poll() is None, f"{args[0]} exited:\n{tail}"
            assert time.monotonic() < deadline, f"{args[0]} not ready:\n{tail}"
            time.sleep(0.2)
        yield
    finally:
        proc.terminate()
        proc.wait(20)


def answers(url: str) -> bool:
    """Whether `url` answers 200 (a readiness probe)."""
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


@contextlib.contextmanager
def running_prometheus(*, config: Path, workdir: Path) -> Iterator[str]:
    """Prometheus on a free port with `config` and its TSDB in `workdir`; yields its base URL
    once `/-/ready` answers."""
    (port,) = free_ports(count=1)
    base = f"http://127.0.0.1:{port}"
    args = [
        _binary("prometheus"),
        f"--config.file={config}",
        f"--storage.tsdb.path={workdir / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    with _serving(args=args, log=workdir / "prometheus.log", ready=f"{base}/-/ready"):
        yield base


@contextlib.contextmanager
def running_alertmanager(*, config: Path, workdir: Path) -> Iterator[str]:
    """Alertmanager on a free port, alone (no cluster), with `config` and its state in
    `workdir`; yields its base URL once `/-/ready` answers."""
    (port,) = free_ports(count=1)
    base = f"http://127.0.0.1:{port}"
    args = [
        _binary("prometheus-alertmanager"),
        f"--config.file={config}",
        f"--storage.path={workdir / 'alertmanager'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
    ]
    with _serving(args=args, log=workdir / "alertmanager.log", ready=f"{base}/-/ready"):
        yield base


def query(base: str, expr: str) -> float | None:
    """The first value of an instant query, or None when there is none (yet)."""
    try:
        body = httpx.get(f"{base}/api/v1/query", params={"query": expr}, timeout=5).json()
    except httpx.HTTPError:
        return None
    result = body.get("data", {}).get("result", [])
    return float(result[0]["value"][1]) if result else None


def instant(base: str, expr: str) -> list[dict[str, Any]]:
    """The result vector of an instant query (empty while there is nothing yet); an
    expression Prometheus refuses raises AssertionError with its error."""
    body = httpx.get(f"{base}/api/v1/query", params={"query": expr}, timeout=10).json()
    assert body["status"] == "success", (expr, body.get("error"))
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def scrape_config(*, jobs: dict[str, str], interval_s: int = 1) -> str:
    """A prometheus.yml scraping each job's `host:port` (its /metrics) every `interval_s`."""
    lines = [f"global:\n  scrape_interval: {interval_s}s\n", "scrape_configs:\n"]
    for job, target in jobs.items():
        lines.append(f"  - job_name: {job}\n    static_configs:\n      - targets: ['{target}']\n")
    return "".join(lines)
