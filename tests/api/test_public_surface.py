"""Every api module declares its public names, and they exist."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import smileback.api

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(smileback.api.__path__, prefix="smileback.api.")
)


def test_the_modules_are_found() -> None:
    assert {"smileback.api.app", "smileback.api.store.writes", "smileback.api.runner"} <= set(
        MODULES
    )


@pytest.mark.parametrize("name", MODULES)
def test_all_names_exist(name: str) -> None:
    module = importlib.import_module(name)
    assert isinstance(module.__all__, list)
    missing = [attr for attr in module.__all__ if not hasattr(module, attr)]
    assert missing == []
