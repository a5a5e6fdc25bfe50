"""Debian's Prometheus as a throwaway server for a test, and instant queries against it."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.support.infra import free_ports

__all__ = ["answers", "instant", "running_prometheus", "scrape_config"]

_READY_TIMEOUT_S = 60.0


def scrape_config(*, jobs: dict[str, str], interval_s: int = 1) -> str:
    """A prometheus.yml scraping each job's `host:port` (its /metrics) every `interval_s`."""
    lines = [f"global:\n  scrape_interval: {interval_s}s\n", "scrape_configs:\n"]
    for job, target in jobs.items():
        lines.append(f"  - job_name: {job}\n    static_configs:\n      - targets: ['{target}']\n")
    return "".join(lines)


@contextlib.contextmanager
def running_prometheus(*, config: Path, workdir: Path) -> Iterator[str]:
    """Prometheus on a free port with `config` and its TSDB in `workdir`; yields its base URL
    once `/-/ready` answers. A Prometheus that refuses its flags or config exits, and the test
    says so with its log instead of timing out on empty queries."""
    (port,) = free_ports(count=1)
    base = f"http://127.0.0.1:{port}"
    log = workdir / "prometheus.log"
    proc = subprocess.Popen(
        [
            shutil.which("prometheus") or "/usr/bin/prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={workdir / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdin=subprocess.DEVNULL,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + _READY_TIMEOUT_S
        while not answers(f"{base}/-/ready"):
            tail = log.read_text(errors="replace")[-3000:]
            assert proc.poll() is None, f"prometheus exited:\n{tail}"
            assert time.monotonic() < deadline, f"prometheus not ready:\n{tail}"
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(20)


def answers(url: str) -> bool:
    """Whether `url` answers 200 (a readiness probe)."""
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def instant(base: str, expr: str) -> list[dict[str, Any]]:
    """The result vector of an instant query (empty while there is nothing yet); an
    expression Prometheus refuses raises AssertionError with its error."""
    body = httpx.get(f"{base}/api/v1/query", params={"query": expr}, timeout=10).json()
    assert body["status"] == "success", (expr, body.get("error"))
    result: list[dict[str, Any]] = body["data"]["result"]
    return result
