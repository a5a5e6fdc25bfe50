"""The services without a database load no SQLAlchemy (about 11 MB of each one's memory)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["smileback.scorer.app", "smileback.ingest.runner"])
def test_a_service_without_a_database_does_not_load_sqlalchemy(module: str) -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", f"import sys, {module}; print('sqlalchemy' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert loaded == "False"
