"""`smileback rules check`, run as a user runs it: the console script in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.support.processes import SMILEBACK

RULES = """\
brands:
  acme:
    query: '("acme coffee" OR @acmecoffee OR #acmecoffee) AND NOT (hiring OR "job opening")'
  brightleaf:
    query: brightleaf tea
"""

LINES = [
    b'{"id": "t:1", "text": "Acme Coffee burnt my tongue @AcmeCoffee", "lang": "en"}',
    b'{"id": "t:2", "text": ',
    b'{"id": "t:3", "text": "acme coffee is hiring baristas"}',
    b"",
    b'{"id": "t:4", "text": "Brightleaf TEA with #acmecoffee"}',
    b'{"id": "t:5", "text": "\xff\xfe"}',
]


def _check(
    tmp_path: Path, *args: str, rules: str = RULES, stdin: bytes
) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "rules.yaml"
    path.write_text(rules, encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SMILEBACK_")}
    return subprocess.run(
        [str(SMILEBACK), "rules", "check", str(path), *args],
        input=stdin.decode("utf-8", errors="surrogateescape"),
        env=clean,
        capture_output=True,
        text=True,
        errors="surrogateescape",
        timeout=60,
        check=False,
    )


def test_each_mention_comes_back_with_its_matched_brands(tmp_path: Path) -> None:
    done = _check(tmp_path, stdin=b"\n".join(LINES[:1] + LINES[2:5]) + b"\n")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["id"], r["matched_brands"]) for r in rows] == [
        ("t:1", ["acme"]),
        ("t:3", []),
        ("t:4", ["acme", "brightleaf"]),
    ]
    assert rows[0] == {
        "id": "t:1",
        "text": "Acme Coffee burnt my tongue @AcmeCoffee",
        "lang": "en",
        "matched_brands": ["acme"],
    }
    assert done.stderr == "checked 3, matched 2, bad lines 0\n"


def test_explain_adds_the_terms_that_matched_per_brand(tmp_path: Path) -> None:
    done = _check(tmp_path, "--explain", stdin=LINES[0] + b"\n" + LINES[4] + b"\n")
    assert done.returncode == 0, done.stderr
    terms = [json.loads(line)["matched_terms"] for line in done.stdout.splitlines()]
    assert terms == [
        {"acme": ['"acme coffee"', "@acmecoffee"]},
        {"acme": ["#acmecoffee"], "brightleaf": ["brightleaf", "tea"]},
    ]


def test_bad_lines_are_reported_by_number_skipped_and_end_with_exit_1(tmp_path: Path) -> None:
    done = _check(tmp_path, stdin=b"\n".join(LINES) + b"\n")
    assert done.returncode == 1
    assert [json.loads(line)["id"] for line in done.stdout.splitlines()] == ["t:1", "t:3", "t:4"]
    errors = done.stderr.splitlines()
    assert [line.split(":")[0] for line in errors[:2]] == ["line 2", "line 6"]
    assert "invalid UTF-8" in errors[1]
    assert errors[2] == "checked 3, matched 2, bad lines 2"


def test_a_bad_rules_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = _check(tmp_path, rules="brands:\n  acme:\n    query: 'acme AND (refund OR'\n", stdin=b"")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"smileback: {tmp_path / 'rules.yaml'}:3:32: brands.acme.query: "
        "expected a term after OR, found the end\n"
    )


def test_a_missing_rules_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SMILEBACK_")}
    missing = tmp_path / "nope.yaml"
    done = subprocess.run(
        [str(SMILEBACK), "rules", "check", str(missing)],
        input="",
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"smileback: {missing}: cannot read: FileNotFoundError")
    assert len(done.stderr.splitlines()) == 1
