"""An unhandled error in a request is logged with its traceback, in both log formats, without
the bootstrap token, the caller's key or any other configured secret."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from smileback.api.app import create_app
from smileback.api.auth import Scope
from smileback.api.runner import build_server
from smileback.api.settings import ApiSettings
from smileback.api.store.keys import create_key
from smileback.common.settings import load_settings
from tests.support.logs import captured_logs, leaked, secret_environment, without_colours


def _wait_for(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _fail_a_request(engine: Engine, *, bootstrap_token: str) -> str:
    """Serve the app as `smileback api` does and make one request fail; the caller's key."""
    with Session(engine) as session, session.begin():
        _, key = create_key(
            session=session, name="ci", scope=Scope.READ, now=datetime.now(UTC), expires_at=None
        )
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE mentions")  # a bug: the listing's query fails
    port = _free_port()
    server = build_server(
        app=create_app(engine=engine, api_token=bootstrap_token), host="127.0.0.1", port=port
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        _wait_for(lambda: server.started)
        response = httpx.get(
            f"http://127.0.0.1:{port}/v1/mentions", headers={"Authorization": f"Bearer {key}"}
        )
        assert response.status_code == 500
    finally:
        server.should_exit = True
        thread.join(10)
    return key


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_an_unhandled_error_is_logged_without_secrets(monkeypatch, engine, fmt):
    secrets = secret_environment(monkeypatch)
    settings = load_settings(ApiSettings)
    assert settings.api_token is not None
    with captured_logs(fmt) as out:
        key = _fail_a_request(engine, bootstrap_token=settings.api_token.get_secret_value())
    text = out.getvalue()
    assert leaked(text, [*secrets, key]) == []
    if fmt == "json":
        records = {record["event"].strip(): record for record in map(json.loads, text.splitlines())}
        # The app's own line and uvicorn's, each with its frames.
        for event in ("unhandled error", "Exception in ASGI application"):
            raised, *causes = records[event]["exception"]
            assert raised["exc_type"] == "OperationalError"
            assert causes  # the driver's error it was raised from
            assert any(frame["name"] == "search_mentions" for frame in raised["frames"])
    else:
        plain = without_colours(text)
        assert plain.count("Traceback") >= 2
        assert "no such table: mentions" in plain
