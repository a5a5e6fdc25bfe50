"""Each alerts module names its public surface, and every name in it exists."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import smileback.alerts

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(smileback.alerts.__path__, prefix="smileback.alerts.")
)


def test_the_package_has_its_parts() -> None:
    for part in ("policy", "notifiers", "outbox", "incidents", "service", "runner"):
        assert f"smileback.alerts.{part}" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_all_names_exist(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__all__, f"{name} exports nothing"
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert missing == []
