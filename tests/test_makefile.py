"""`make audit` audits exactly what uv.lock pins, against PyPI's advisories, and fails on a
package it could not look up; checked offline, without the lookups."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands(target: str) -> list[list[str]]:
    dry_run = subprocess.run(
        ["make", "-n", target], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return [shlex.split(line) for line in dry_run.stdout.splitlines()]


def _value(command: list[str], option: str) -> str:
    return command[command.index(option) + 1]


def test_make_audit_audits_the_locked_versions_with_pypi_s_advisories(tmp_path):
    commands = _commands("audit")
    (export,) = [c for c in commands if c[:2] == [".tools/bin/uv", "export"]]
    (audit,) = [c for c in commands if c[0] == ".venv/bin/pip-audit"]
    assert {"--frozen", "--no-hashes", "--all-groups", "--all-extras", "--no-emit-project"} <= {
        *export
    }
    assert _value(audit, "-r") == _value(export, "-o")
    assert _value(audit, "--vulnerability-service") == "pypi"
    assert {"--no-deps", "--disable-pip", "--strict"} <= {*audit}

    # Both tools accept the command lines: the export as written, the audit up to the lookups.
    requirements = tmp_path / "requirements.txt"
    export[export.index("-o") + 1] = str(requirements)
    audit[audit.index("-r") + 1] = str(requirements)
    subprocess.run(export, cwd=ROOT, check=True)
    pinned = [line for line in requirements.read_text().splitlines() if "==" in line]
    assert any(line.startswith("pip-audit==") for line in pinned)
    assert not any(line.startswith("smileback") for line in pinned)
    checked = subprocess.run(
        [*audit, "--dry-run"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    audited = int(re.search(r"would have audited (\d+) packages", checked.stderr)[1])
    # Every package, less those whose environment marker excludes this platform (Windows').
    assert len([line for line in pinned if ";" not in line]) <= audited <= len(pinned)
