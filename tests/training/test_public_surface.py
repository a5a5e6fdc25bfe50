import importlib
import pkgutil

import pytest

import smileback.training

MODULES = sorted(m.name for m in pkgutil.iter_modules(smileback.training.__path__))


def test_every_expected_module_is_there():
    assert set(MODULES) >= {
        "commands", "data", "evaluation", "lexicon", "metrics", "numerics", "reproducibility",
        "training", "vader",
    }  # fmt: skip


@pytest.mark.parametrize("name", MODULES)
def test_each_module_declares_a_public_surface_that_exists(name):
    module = importlib.import_module(f"smileback.training.{name}")
    assert module.__all__, name
    assert [attr for attr in module.__all__ if not hasattr(module, attr)] == []
