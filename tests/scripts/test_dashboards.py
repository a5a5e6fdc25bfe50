"""deploy/grafana/dashboards/*.json are scripts/dashboards.py's output; drift fails here."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "dashboards.py"
FOLDER = ROOT / "deploy" / "grafana" / "dashboards"


@pytest.fixture(scope="module")
def dashboards() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dashboards", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _written() -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_text()) for path in sorted(FOLDER.glob("*.json"))}


def test_the_committed_files_are_the_generated_ones(dashboards: ModuleType) -> None:
    assert sorted(p.name for p in FOLDER.glob("*.json")) == sorted(dashboards.DASHBOARDS)
    for name, build in dashboards.DASHBOARDS.items():
        text = (FOLDER / name).read_text(encoding="utf-8")
        assert dashboards.render(build()) == text, f"run .venv/bin/python {SCRIPT.name}"


def test_the_check_mode_says_whether_a_file_drifted(tmp_path: Path) -> None:
    def check() -> tuple[int, str]:
        done = subprocess.run(
            [sys.executable, str(SCRIPT), "--check", "--out", str(tmp_path)],
            capture_output=True,
            text=True,
            check=False,
        )
        return done.returncode, done.stderr

    assert subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path)]).returncode == 0
    assert check() == (0, "")
    edited = tmp_path / "on-call.json"
    edited.write_text(edited.read_text().replace("Time to page", "Time to pager"))
    code, said = check()
    assert code == 1
    assert "on-call.json" in said
    edited.unlink()
    (tmp_path / "old.json").write_text("{}")
    code, said = check()
    assert code == 1
    assert "on-call.json" in said
    assert "old.json" in said
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_uids_are_stable_and_every_panel_reads_the_chosen_prometheus() -> None:
    written = _written()
    assert {name: board["uid"] for name, board in written.items()} == {
        "brand-health.json": "smileback-brand-health",
        "on-call.json": "smileback-on-call",
        "pipeline.json": "smileback-pipeline",
    }
    for name, board in written.items():
        (datasource,) = [v for v in board["templating"]["list"] if v["type"] == "datasource"]
        # The uid docker-compose's Grafana is provisioned with.
        assert (datasource["name"], datasource["query"]) == ("datasource", "prometheus")
        assert datasource["current"]["value"] == "prometheus"
        assert board["panels"], name
        for panel in board["panels"]:
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, name
            assert panel["targets"], (name, panel["title"])
            for target in panel["targets"]:
                assert target["datasource"] == panel["datasource"], (name, panel["title"])
                assert "smileback_" in target["expr"] or target["expr"].startswith("up{")


def test_every_panel_has_a_unit_and_a_place_of_its_own() -> None:
    for name, board in _written().items():
        cells: set[tuple[int, int]] = set()
        for panel in board["panels"]:
            assert panel["fieldConfig"]["defaults"]["unit"], (name, panel["title"])
            assert panel["description"], (name, panel["title"])
            pos = panel["gridPos"]
            assert pos["x"] + pos["w"] <= 24, (name, panel["title"])
            mine = {
                (x, y)
                for x in range(pos["x"], pos["x"] + pos["w"])
                for y in range(pos["y"], pos["y"] + pos["h"])
            }
            assert not mine & cells, f"{name}: {panel['title']} overlaps another panel"
            cells |= mine
