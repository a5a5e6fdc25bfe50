import importlib
import pkgutil

import pytest

import smileback.scorer.model

MODULES = sorted(m.name for m in pkgutil.iter_modules(smileback.scorer.model.__path__))


def test_every_expected_module_is_there():
    assert set(MODULES) >= {
        "artifact", "card", "errors", "features", "grams", "negativity", "normalise", "scorer",
        "symbols",
    }  # fmt: skip


def test_no_training_tooling_is_left_in_the_runtime_model():
    tooling = {"commands", "data", "evaluation", "lexicon", "metrics", "numerics", "training"}
    assert tooling.isdisjoint(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_each_module_declares_a_public_surface_that_exists(name):
    module = importlib.import_module(f"smileback.scorer.model.{name}")
    assert module.__all__, name
    assert [attr for attr in module.__all__ if not hasattr(module, attr)] == []


def test_scoring_does_not_import_scikit_learn():
    """Scoring starts fast: only training and evaluation need scikit-learn."""
    import subprocess
    import sys

    code = (
        "import sys; from smileback.scorer.factory import default_pipeline; default_pipeline(); "
        "print(any(m == 'sklearn' or m.startswith('sklearn.') for m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
