"""The docs' configuration tables are the settings classes, rendered; drift fails here."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from pydantic import Field

from smileback.common.settings import CommonSettings

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "settings_table.py"


@pytest.fixture(scope="module")
def tables() -> ModuleType:
    spec = importlib.util.spec_from_file_location("settings_table", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _texts(tables: ModuleType) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in tables.documents()}


def test_the_tables_match_the_classes(tables: ModuleType) -> None:
    texts = _texts(tables)
    assert tables.render_documents(texts) == texts, "run .venv/bin/python scripts/settings_table.py"


def test_every_variable_of_every_class_is_documented(tables: ModuleType) -> None:
    text = "".join(_texts(tables).values())
    for cls in tables.TABLES.values():
        for name, field in cls.model_fields.items():
            variable = f"SMILEBACK_{name.upper()}"
            assert f"| `{variable}` |" in text, variable
            assert field.description, f"{cls.__name__}.{name} has no description"


def test_a_changed_table_is_drift(tables: ModuleType) -> None:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    edited = text.replace("| `SMILEBACK_API_PORT` | integer, ≥ 1, ≤ 65535 | `8000` |", "| x |")
    assert edited != text
    assert tables.render_markers(edited) == text


def test_a_table_missing_or_in_two_files_is_refused(tables: ModuleType) -> None:
    texts = _texts(tables)
    holder = next(name for name, text in texts.items() if "<!-- settings: api -->" in text)
    missing = {**texts, holder: texts[holder].replace("<!-- settings: api -->", "")}
    with pytest.raises(ValueError, match="settings: api --> must be in one file, found in no"):
        tables.render_documents(missing)
    twice = {**texts, "extra.md": "<!-- settings: api -->\n<!-- /settings: api -->\n"}
    with pytest.raises(ValueError, match=f"found in {holder}, extra.md"):
        tables.render_documents(twice)


def test_the_check_mode_says_whether_the_readme_drifted() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout) == (0, "")


def test_a_row_shows_type_bounds_default_and_description(tables: ModuleType) -> None:
    class Example(CommonSettings):
        example_port: int = Field(default=80, ge=1, le=65535, description="where | it listens")

    table = tables.render_table(Example, leave_out=frozenset(CommonSettings.model_fields))
    assert table.splitlines()[2] == (
        "| `SMILEBACK_EXAMPLE_PORT` | integer, ≥ 1, ≤ 65535 | `80` | where \\| it listens |"
    )


def test_a_field_without_a_description_is_refused(tables: ModuleType) -> None:
    class Undocumented(CommonSettings):
        secret_knob: int = 1

    with pytest.raises(ValueError, match=r"Undocumented\.secret_knob has no description"):
        tables.render_table(Undocumented, leave_out=frozenset(CommonSettings.model_fields))


def test_every_variable_the_deployments_set_is_a_setting(tables: ModuleType) -> None:
    known = {
        f"SMILEBACK_{name.upper()}" for cls in tables.TABLES.values() for name in cls.model_fields
    }
    # Not settings: the demo's token, and docker-compose's PostgreSQL password.
    known |= {"SMILEBACK_DEMO_TOKEN", "SMILEBACK_DB_PASSWORD"}
    sources = [ROOT / "docker-compose.yml", *sorted((ROOT / "deploy" / "k8s").rglob("*.yaml"))]
    used = {v for path in sources for v in re.findall(r"SMILEBACK_[A-Z0-9_]+", path.read_text())}
    assert used
    assert used <= known, sorted(used - known)
