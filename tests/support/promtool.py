"""Prometheus's own linter over a /metrics body: `promtool check metrics` on stdin."""

from __future__ import annotations

import shutil
import subprocess

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
