"""Each alerts module names its public surface, and every name in it exists."""

from __future__ import annotations

import importlib

import pytest

MODULES = [
    "delivery",
    "handler",
    "incidents",
    "metrics",
    "notifiers",
    "notifiers_testing",
    "policy",
    "runner",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_names_exist(name: str) -> None:
    module = importlib.import_module(f"smileback.alerts.{name}")
    assert module.__all__, f"{name} exports nothing"
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert missing == []
