"""Prometheus's own linter over a /metrics body: `promtool check metrics` on stdin; and a
worker's health port, served for one scrape."""

from __future__ import annotations

import shutil
import subprocess
import urllib.request

from smileback.common.health import Health, serve_health
from tests.support.infra import free_ports

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


def promtool_problems(body: str) -> list[str]:
    """Each problem promtool reports about `body` (the text exposition format); [] if none."""
    done = subprocess.run(
        [PROMTOOL, "check", "metrics"],
        input=body,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    problems = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    if done.returncode != 0 and not problems:
        problems.append(f"promtool exited {done.returncode}")
    return problems


def scrape_worker(health: Health) -> str:
    """The /metrics body a worker with `health` serves on its metrics port."""
    (port,) = free_ports(count=1)
    server = serve_health(health=health, port=port, host="127.0.0.1")
    assert server is not None
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            return str(response.read().decode("utf-8"))
    finally:
        server.shutdown()
        server.server_close()
