"""`smileback keys create|list|revoke`, and the keys it makes working against the API."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from smileback.api.app import create_app
from smileback.api.store import make_engine
from smileback.cli.main import app as cli


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    monkeypatch.setenv("SMILEBACK_DATABASE_URL", url)
    return url


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_create_use_list_and_revoke(db_url: str) -> None:
    code, out, err = _run(
        "keys", "create", "--name", "alex laptop", "--scope", "respond", "--responder", "alex"
    )
    assert code == 0, err
    token = out.strip()
    assert token.startswith("sbk_")
    key_id = token.split("_")[1]
    assert (
        f"created key {key_id} (alex laptop, scope respond, responder alex, expires never)" in err
    )
    engine = make_engine(db_url)
    with TestClient(create_app(engine=engine)) as client:  # no bootstrap token at all
        header = {"Authorization": f"Bearer {token}"}
        ping = client.get("/v1/ping", headers=header).json()
        assert (ping["name"], ping["responder"]) == ("alex laptop", "alex")
        code, out, _ = _run("keys", "list")
        assert code == 0
        header_line, row = out.strip().splitlines()
        assert header_line.split() == [
            "ID",
            "NAME",
            "SCOPE",
            "RESPONDER",
            "STATUS",
            "CREATED",
            "EXPIRES",
        ]
        assert row.startswith(key_id)
        assert "respond  alex       active" in row
        assert row.endswith("never")
        assert token not in out
        code, _, err = _run("keys", "revoke", key_id)
        assert (code, err.strip()) == (0, f"revoked key {key_id} (alex laptop)")
        assert client.get("/v1/ping", headers=header).status_code == 401
        assert "revoked" in _run("keys", "list")[1]
    engine.dispose()


def test_expiry_is_shown(db_url: str) -> None:
    code, _, err = _run(
        "keys", "create", "--name", "temp", "--scope", "read", "--expires-days", "7"
    )
    assert code == 0
    assert "expires 20" in err
    assert "never" not in _run("keys", "list")[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "x", "--scope", "root"], "--scope must be read, respond or admin"),
        (["--name", "  ", "--scope", "read"], "a key name must have 1 to 200 characters"),
        (["--name", "x", "--scope", "read", "--expires-days", "0"], "--expires-days must be"),
        (["--name", "x", "--scope", "respond"], "a respond key belongs to a responder"),
    ],
)
def test_bad_arguments_exit_2(db_url: str, args: list[str], message: str) -> None:
    code, out, err = _run("keys", "create", *args)
    assert code == 2
    assert message in err
    assert out == ""


def test_a_responder_must_be_in_the_oncall_file_when_there_is_one(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    oncall = tmp_path / "oncall.yaml"
    oncall.write_text("responders:\n  alex: {name: Alex Kim}\n")
    monkeypatch.setenv("SMILEBACK_ONCALL_FILE", str(oncall))
    code, out, err = _run(
        "keys", "create", "--name", "x", "--scope", "respond", "--responder", "intern"
    )
    assert (code, out) == (2, "")
    assert "the on-call file defines no responder 'intern' (it defines: alex)" in err
    code, _, err = _run(
        "keys", "create", "--name", "x", "--scope", "respond", "--responder", "alex"
    )
    assert code == 0, err
    code, _, err = _run("keys", "create", "--name", "ops", "--scope", "admin")  # may act for no one
    assert code == 0, err
    assert "responder" not in err


def test_revoking_an_unknown_key_exits_1(db_url: str) -> None:
    code, _, err = _run("keys", "revoke", "nope")
    assert code == 1
    assert "no API key 'nope'" in err
