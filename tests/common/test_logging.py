"""Client libraries' reconnect chatter is throttled; Smileback's own lines never are.
Tracebacks are logged in both formats, never with their local variables; URLs are printed
without their passwords."""

from __future__ import annotations

import json
import logging
import threading

import pytest
import structlog

from smileback.common.logging import ThrottleRepeats, mask_url
from tests.support.logs import captured_logs, leaked, secret_environment, without_colours


def _record(name: str, msg: str) -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, ("node 1",), None)


def test_a_repeated_client_message_passes_once_a_minute() -> None:
    now = [0.0]
    throttle = ThrottleRepeats(every_s=60.0, monotonic=lambda: now[0])
    passed = []
    for second in range(0, 130, 5):
        now[0] = float(second)
        passed.append(throttle.filter(_record("aiokafka.conn", "Unable connect to %s")))
    assert passed.count(True) == 3  # at 0, 60 and 120 s
    assert throttle.filter(_record("aiokafka.conn", "another message"))


def test_smilebacks_own_records_always_pass() -> None:
    throttle = ThrottleRepeats(every_s=60.0, monotonic=lambda: 0.0)
    assert all(throttle.filter(_record("smileback.alerts", "dependency down")) for _ in range(5))


def _work(*, secret: str) -> None:
    token = secret  # a local a traceback with locals would print
    raise RuntimeError(f"the work failed after {len(token)} characters")


def _worker_loop(*, secrets: list[str], stop: threading.Event) -> None:
    """A worker's loop logging a failed step both ways a worker's errors reach the log: its
    own structlog line, and a client library's stdlib record (Faust's, say)."""
    while not stop.is_set():
        for secret in secrets:
            try:
                _work(secret=secret)
            except RuntimeError:
                structlog.get_logger("smileback.worker").exception("step failed")
                logging.getLogger("faust.agents").error("agent crashed", exc_info=True)
        stop.set()


def _log_worker_errors(fmt: str, secrets: list[str]) -> str:
    with captured_logs(fmt) as out:
        _worker_loop(secrets=secrets, stop=threading.Event())
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_a_worker_s_logged_exceptions_carry_no_secret(monkeypatch, fmt):
    secrets = secret_environment(monkeypatch)
    text = _log_worker_errors(fmt, secrets)
    assert "step failed" in text
    assert "agent crashed" in text
    assert leaked(text, secrets) == []


def test_json_logs_carry_structured_tracebacks(monkeypatch):
    lines = _log_worker_errors("json", ["one-secret-value"]).splitlines()
    records = [json.loads(line) for line in lines]
    assert [record["event"] for record in records] == ["step failed", "agent crashed"]
    for record in records:
        (exception,) = record["exception"]
        assert exception["exc_type"] == "RuntimeError"
        assert [frame["name"] for frame in exception["frames"]][-1] == "_work"
        assert all("locals" not in frame for frame in exception["frames"])
        assert "exc_info" not in record


def test_console_logs_carry_the_traceback_text(monkeypatch):
    text = without_colours(_log_worker_errors("console", ["one-secret-value"]))
    assert text.count("Traceback") == 2
    assert text.count("RuntimeError: the work failed after 16 characters") == 2
    assert "_work" in text


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+psycopg://u:pa:ss@db:5432/sb", "postgresql+psycopg://u:***@db:5432/sb"),
        (
            "postgresql://u:p%40ss@[::1]:5432/sb?sslmode=require",
            "postgresql://u:***@[::1]:5432/sb?sslmode=require",
        ),
        ("https://:token@example.com/hook", "https://:***@example.com/hook"),
        ("postgresql://u@db/sb", "postgresql://u@db/sb"),
        ("sqlite:///smileback.db", "sqlite:///smileback.db"),
        ("127.0.0.1:9092", "127.0.0.1:9092"),
        ("postgresql://u:p@[::1/sb", "***"),
    ],
)
def test_a_url_is_shown_without_its_password(url, shown):
    assert mask_url(url) == shown
