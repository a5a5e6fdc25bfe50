"""A service install is runtime only: no demo, no training, no plotting or VADER.

The services' modules import nothing of the `[train]` extra, the CLI says in one line
when a tooling command is not installed, and the wheel the Dockerfile builds holds the
shipped model but neither the demo's nor training's code and data.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXTRA = ("sklearn", "threadpoolctl", "vaderSentiment", "matplotlib")

_IMPORT_RUNTIME = """
import importlib, json, pkgutil, sys
import smileback.alerts, smileback.api, smileback.cli, smileback.common, smileback.ingest
import smileback.scorer

TOOLING = ("smileback.cli.demo", "smileback.training")

def walk(package):
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        if info.name.startswith(TOOLING):
            continue
        module = importlib.import_module(info.name)
        if info.ispkg:
            walk(module)

for package in (smileback.common, smileback.ingest, smileback.scorer, smileback.alerts,
                smileback.api, smileback.cli):
    walk(package)
from smileback.scorer.model import ModelScorer
(score,) = ModelScorer.load().score_texts(["@acmecoffee worst service ever, so disappointed"])
loaded = sorted(name for name in sys.modules if name.split(".")[0] in EXTRA
                or name.startswith(TOOLING))
print(json.dumps({"modules": len(sys.modules), "negative": score.is_negative,
                  "tooling": loaded}))
"""


def test_every_service_module_loads_and_scores_without_the_train_extra():
    code = f"EXTRA = {EXTRA!r}\n{_IMPORT_RUNTIME}"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    result = json.loads(done.stdout)
    assert result["negative"] is True
    assert result["tooling"] == []
    assert result["modules"] > 500  # the walk did import the services


_ABSENT = """
import sys

class Absent:
    # The import system's own error for a missing submodule, with its name.
    def find_spec(self, name, path=None, target=None):
        if name in ABSENT:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

for name in ABSENT:
    if "." not in name:
        sys.modules[name] = None  # find_spec() then says None, import raises, as when absent
sys.meta_path.insert(0, Absent())
from smileback.cli.main import main
main()
"""


def _cli(args: list[str], *, absent: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    """`smileback ARGS` with the modules `absent` unimportable, as if not installed."""
    return subprocess.run(
        [sys.executable, "-c", f"ABSENT = {absent!r}\n{_ABSENT}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("command", ["train", "evaluate"])
@pytest.mark.parametrize(
    ("absent", "named"),
    [
        (EXTRA, "sklearn, threadpoolctl, vaderSentiment, matplotlib missing"),
        (("matplotlib",), "(matplotlib missing)"),
        (("smileback.training",), "(smileback.training missing)"),
    ],
)
def test_tooling_commands_without_the_extra_end_with_one_line(command, absent, named):
    done = _cli([command], absent=absent)
    assert done.returncode == 2
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"smileback {command}: the training tools are not installed")
    assert named in line
    assert line.endswith("install smileback[train]")


def test_demo_outside_the_repository_install_ends_with_one_line():
    done = _cli(["demo", "--once"], absent=("smileback.cli.demo",))
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith("smileback demo: not in this install")


def _image_source(tmp: Path) -> Path:
    """The build context as the Dockerfile's builder stage lays it out before `pip install`."""
    stages = (REPO / "Dockerfile").read_text().split("\nFROM ")
    (stage,) = [stage for stage in stages if stage.splitlines()[0].endswith(" AS builder")]
    steps = [line.split(maxsplit=1) for line in stage.splitlines() if line[:4] in ("COPY", "RUN ")]
    src = tmp / "src"
    src.mkdir()
    for instruction, rest in steps:
        words = shlex.split(rest)
        if instruction == "COPY" and not any(word.startswith("--from") for word in words):
            *sources, target = words
            for source in sources:
                into = src / target / Path(source).name if target.endswith("/") else src / target
                if (REPO / source).is_dir():
                    shutil.copytree(
                        REPO / source, into, ignore=shutil.ignore_patterns("__pycache__")
                    )
                else:
                    shutil.copy(REPO / source, into)
        elif instruction == "RUN" and words[:2] == ["rm", "-rf"]:
            for path in words[2:]:
                shutil.rmtree(src / path)
        elif instruction == "RUN" and "pip install --no-deps ." in rest:
            return src
    raise AssertionError("the Dockerfile's builder stage never installs the project")


def test_the_image_wheel_ships_the_model_and_no_demo_or_training(tmp_path):
    src = _image_source(tmp_path)
    # What pip runs for `pip install --no-deps .`: the project's PEP 517 backend.
    built = subprocess.run(
        [sys.executable, "-c", "from hatchling.build import build_wheel; print(build_wheel('..'))"],
        cwd=src,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    with zipfile.ZipFile(tmp_path / built.stdout.strip()) as wheel:
        names = wheel.namelist()
        metadata = wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA")))
    assert "smileback/scorer/model/artifacts/negativity.npz" in names
    assert "smileback/scorer/model/artifacts/negativity.card.json" in names
    assert "smileback/cli/main.py" in names
    assert "smileback/ingest/runner.py" in names
    assert "smileback/ingest/streams/jetstream_zstd/v1.zdict" in names  # data beside code
    assert "smileback/ingest/streams/jetstream_zstd/NOTICE" in names
    tooling = [
        name
        for name in names
        if name.startswith(("smileback/training/", "smileback/cli/demo/"))
        or name.endswith(".jsonl")
        or "scenario" in name
        or "corpus" in name
    ]
    assert tooling == []
    requires = [
        line for line in metadata.decode().splitlines() if line.startswith("Requires-Dist:")
    ]
    for project in ("scikit-learn", "matplotlib", "vadersentiment", "threadpoolctl"):
        (line,) = [line for line in requires if line.split()[1].startswith(project)]
        assert "extra == 'train'" in line or 'extra == "train"' in line
