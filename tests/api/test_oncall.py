"""Who is on call now, from the alerts package's schedule core and SMILEBACK_ONCALL_FILE."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from smileback.api.app import ApiOptions, create_app
from tests.support.api_fixtures import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}
EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "config" / "oncall.example.yaml"


def _client(engine: Engine, path: Path | None) -> TestClient:
    return TestClient(
        create_app(engine=engine, api_token=TOKEN, options=ApiOptions(oncall_file=path))
    )


def test_who_is_on_call_at_a_time(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "oncall.yaml"
    shutil.copy(EXAMPLE, path)
    with _client(engine, path) as client:
        # Christmas Eve evening in Berlin: the override puts Chen on call.
        body = client.get(
            "/v1/oncall", params={"at": "2025-12-24T19:00:00+01:00"}, headers=AUTH
        ).json()
        assert body["configured"] is True
        assert body["at"].startswith("2025-12-24T18:00:00")
        by_schedule = {s["schedule"]: s["responder"] for s in body["schedules"]}
        assert by_schedule["social-primary"] == {
            "id": "chen",
            "name": "Chen Li",
            "email": "chen@example.com",
            "slack": None,
        }
        assert set(by_schedule) == {"social-primary", "social-backup"}
        now = client.get("/v1/oncall", headers=AUTH)
        assert now.status_code == 200
        # The file is re-read when it changes.
        path.write_text("version: 1\n")
        os.utime(path, ns=(1, 1))
        assert client.get("/v1/oncall", headers=AUTH).json()["schedules"] == []


def test_without_an_oncall_file(engine: Engine, client: TestClient) -> None:
    body = client.get("/v1/oncall", headers=AUTH).json()
    assert (body["configured"], body["schedules"]) == (False, [])


def test_an_unreadable_oncall_file_is_503_without_details(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "oncall.yaml"
    path.write_text("version: 1\nschedules: {x: {time_zone: Mars/Olympus}}\n")
    with _client(engine, path) as client:
        response = client.get("/v1/oncall", headers=AUTH)
    assert response.status_code == 503
    assert response.json()["error"] == {
        "code": "unavailable",
        "message": "the on-call file cannot be read",
    }
