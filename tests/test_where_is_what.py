"""docs/development.md's "where is what" table names modules and functions that exist."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

WHERE = Path(__file__).resolve().parents[1] / "docs" / "development.md"
_ROW = re.compile(r"^\| (?P<question>[^|]+\?) \| (?P<where>.+) \|$")
_MODULE = re.compile(r"`(smileback(?:\.\w+)+)`(?: \((?P<names>[^)]*)\))?")


def _rows() -> dict[str, str]:
    rows = (_ROW.match(line) for line in WHERE.read_text().splitlines())
    return {m["question"]: m["where"] for m in rows if m}


def test_the_table_answers_the_questions_people_ask() -> None:
    asked = {
        "when does a mention page",
        "how is reach computed",
        "where is an API key checked",
        "how is a brand matched",
        "how is a brand surge detected",
        "what does a deletion redact",
    }
    answered = {question.split(" (")[0].rstrip("?") for question in _rows()}
    assert asked <= answered


def test_every_named_module_and_function_exists() -> None:
    missing = []
    for where in _rows().values():
        for found in _MODULE.finditer(where):
            try:
                module = importlib.import_module(found[1])
            except ImportError:
                missing.append(found[1])
                continue
            names = re.findall(r"`(\w+)`", found["names"] or "")
            missing += [f"{found[1]}.{n}" for n in names if not hasattr(module, n)]
    assert _rows(), "docs/development.md lost its where-is-what table"
    assert missing == []
