import importlib
import pkgutil

import pytest

import smileback.scorer

MODULES = sorted(m.name for m in pkgutil.iter_modules(smileback.scorer.__path__))


def test_every_expected_module_is_there():
    assert set(MODULES) >= {
        "app",
        "authors",
        "baseline",
        "factory",
        "handler",
        "metrics",
        "offline",
        "pileon",
        "pipeline",
        "provision",
        "reach",
        "state",
        "tables",
        "text_scoring",
        "threads",
    }


@pytest.mark.parametrize("name", MODULES)
def test_each_module_declares_a_public_surface_that_exists(name):
    module = importlib.import_module(f"smileback.scorer.{name}")
    assert module.__all__, name
    missing = [attr for attr in module.__all__ if not hasattr(module, attr)]
    assert missing == []
