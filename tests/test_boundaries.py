"""Services share only `smileback.common`: no service imports another (the CLI wires them)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[1] / "services"
WIRED_BY_HAND = {"cli"}  # the one place that may import every service


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _services() -> list[str]:
    return sorted(p.name for p in SERVICES.iterdir() if (p / "smileback" / p.name).is_dir())


def test_every_service_is_checked() -> None:
    assert {"alerts", "api", "ingest", "scorer"} <= set(_services())


@pytest.mark.parametrize("service", [s for s in _services() if s not in WIRED_BY_HAND])
def test_a_service_imports_no_other_service(service: str) -> None:
    others = {s for s in _services() if s != service}
    found = sorted(
        f"{path.relative_to(SERVICES)}: {name}"
        for path in (SERVICES / service).rglob("*.py")
        for name in _imported(path)
        if name.split(".")[:2] in (["smileback", other] for other in others)
    )
    assert found == []
