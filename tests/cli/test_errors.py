"""The CLI's error boundary, as a user meets it: one stderr line, exit 2, quickly."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from importlib.metadata import version
from pathlib import Path

import pytest
from kafka.errors import KafkaConfigurationError
from sqlalchemy.exc import NoSuchModuleError

from smileback.cli.boundary import explain
from smileback.common.errors import ConfigError
from tests.support.processes import SMILEBACK

# The bound for failing at start; a cold interpreter import takes a few seconds of it.
_WITHIN_S = 10.0


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket is closed


def _run(
    *args: str, env: dict[str, str], cwd: Path
) -> tuple[subprocess.CompletedProcess[str], float]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SMILEBACK_")}
    started = time.monotonic()
    done = subprocess.run(
        [str(SMILEBACK), *args],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done, time.monotonic() - started


def _one_line_exit_2(done: subprocess.CompletedProcess[str], elapsed_s: float) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert elapsed_s < _WITHIN_S
    assert done.stdout == ""
    return lines[0]


def test_an_invalid_setting_names_the_variable(tmp_path: Path) -> None:
    done, elapsed = _run("api", env={"SMILEBACK_API_PORT": "70000"}, cwd=tmp_path)
    assert _one_line_exit_2(done, elapsed) == "smileback: SMILEBACK_API_PORT: must be ≤ 65535"


def test_an_invalid_secret_is_named_but_never_shown(tmp_path: Path) -> None:
    done, elapsed = _run("alerts", env={"SMILEBACK_SMTP_TO": "hunter2-not-json"}, cwd=tmp_path)
    line = _one_line_exit_2(done, elapsed)
    assert line == "smileback: SMILEBACK_SMTP_TO: must be valid JSON"


def test_a_missing_input_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    done, elapsed = _run("ingest", "replay", "--input", str(missing), env={}, cwd=tmp_path)
    line = _one_line_exit_2(done, elapsed)
    assert line.startswith(f"smileback: cannot read input {missing}: No such file")


def test_a_missing_file_to_score_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    done, elapsed = _run("score", "-i", str(missing), "-o", "-", env={}, cwd=tmp_path)
    line = _one_line_exit_2(done, elapsed)
    assert line == f"smileback: cannot open {missing}: No such file or directory"


def test_ingest_fails_fast_when_no_broker_answers(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "t:1", "text": "hello @acme"}\n')
    bootstrap = f"127.0.0.1:{_closed_port()}"
    done, elapsed = _run(
        "ingest",
        "replay",
        "--input",
        str(source),
        env={"SMILEBACK_KAFKA_BOOTSTRAP": bootstrap},
        cwd=tmp_path,
    )
    line = _one_line_exit_2(done, elapsed)
    assert f"cannot reach Kafka at {bootstrap}" in line
    assert "check SMILEBACK_KAFKA_BOOTSTRAP" in line


def test_keys_list_fails_fast_when_the_database_is_unreachable(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://smileback:pa55word@127.0.0.1:{_closed_port()}/smileback"
    done, elapsed = _run("keys", "list", env={"SMILEBACK_DATABASE_URL": url}, cwd=tmp_path)
    line = _one_line_exit_2(done, elapsed)
    assert line.startswith("smileback: database unreachable: ")
    assert "Connection refused" in line
    assert "check SMILEBACK_DATABASE_URL" in line
    assert "pa55word" not in line


@pytest.mark.parametrize("scope", ["root"])
def test_a_bad_option_value_is_one_line(tmp_path: Path, scope: str) -> None:
    done, elapsed = _run("keys", "create", "--name", "x", "--scope", scope, env={}, cwd=tmp_path)
    line = _one_line_exit_2(done, elapsed)
    assert line == f"smileback: --scope must be read, respond or admin, not {scope!r}"


def test_version_prints_the_installed_distributions_version(tmp_path: Path) -> None:
    done, _ = _run("--version", env={}, cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.strip() == version("smileback")


def test_a_bad_database_url_is_named_without_repeating_it(tmp_path: Path) -> None:
    url = "postgresql+psycopg://smileback:pa55word@127.0.0.1:notaport/smileback"
    done, elapsed = _run("keys", "list", env={"SMILEBACK_DATABASE_URL": url}, cwd=tmp_path)
    line = _one_line_exit_2(done, elapsed)
    assert line.startswith("smileback: SMILEBACK_DATABASE_URL: not a SQLAlchemy URL")
    assert "pa55word" not in line


def test_an_unknown_database_driver_is_explained() -> None:
    line = explain(NoSuchModuleError("Can't load plugin: sqlalchemy.dialects:nosuch"))
    assert line == "not a database URL SQLAlchemy can use: check SMILEBACK_DATABASE_URL"


def test_a_kafka_client_error_is_explained() -> None:
    line = explain(KafkaConfigurationError())
    assert (
        line
        == "Kafka failed: KafkaConfigurationError (is Kafka up? check SMILEBACK_KAFKA_BOOTSTRAP)"
    )


def test_a_multi_line_message_becomes_one_line() -> None:
    assert explain(ConfigError("first\n  second")) == "first second"


def test_a_bug_is_not_explained_and_keeps_its_traceback() -> None:
    assert explain(KeyError("x")) is None
    assert explain(OSError("no file involved")) is None
