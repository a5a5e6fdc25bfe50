"""Local HTTP receivers that speak like PagerDuty, Slack or a signed webhook, and misbehave
on a script (e.g. 429, then 500, then a timeout, then accept) before they accept."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HANG = "hang"  # a script step: answer nothing until the client has given up

Check = Callable[[bytes, dict[str, str]], list[str]]


@dataclass
class Log:
    """What arrived: every attempt with how it was answered, and the accepted bodies."""

    attempts: list[tuple[str, dict[str, Any] | None]] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    refused: list[tuple[dict[str, Any] | None, list[str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> tuple[list[tuple[str, Any]], list[dict[str, Any]], list[Any]]:
        with self.lock:
            return list(self.attempts), list(self.accepted), list(self.refused)


class ScriptedReceiver:
    """A ThreadingHTTPServer on 127.0.0.1:0 that answers from `script`, then `ok`."""

    def __init__(
        self,
        *,
        ok: tuple[int, bytes, str],
        script: list[int | str] | None = None,
        check: Check | None = None,
        hang_s: float = 3.0,
        retry_after: str | None = None,
        down: bool = False,
    ) -> None:
        self.ok = ok
        self.script = list(script or [])
        self.check = check
        self.hang_s = hang_s
        self.retry_after = retry_after
        self.down = down  # while True: every request gets 503
        self.log = Log()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/in"

    def __enter__(self) -> ScriptedReceiver:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _step(self) -> int | str:
        with self.log.lock:
            if self.down:
                return 503
            return self.script.pop(0) if self.script else self.ok[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                step = receiver._step()
                with receiver.log.lock:
                    receiver.log.attempts.append((str(step), body))
                if step == HANG:
                    time.sleep(receiver.hang_s)
                    self._answer(504, b"")
                    return
                problems = receiver.check(raw, dict(self.headers)) if receiver.check else []
                if problems and step == receiver.ok[0]:
                    with receiver.log.lock:
                        receiver.log.refused.append((body, problems))
                    self._answer(400, json.dumps({"errors": problems}).encode())
                    return
                if step == receiver.ok[0]:
                    with receiver.log.lock:
                        receiver.log.accepted.append(body)
                    self._answer(step, receiver.ok[1], receiver.ok[2])
                    return
                self._answer(int(step), b"")

            def _answer(self, status: int, payload: bytes, ctype: str = "text/plain") -> None:
                try:
                    self.send_response(status)
                    if status == 429 and receiver.retry_after:
                        self.send_header("Retry-After", receiver.retry_after)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (the timeout step)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test output is for assertions."""

        return Handler


def pagerduty_ok(dedup: str = "") -> tuple[int, bytes, str]:
    """PagerDuty's answer to an accepted event."""
    body = {"status": "success", "message": "Event processed", "dedup_key": dedup}
    return 202, json.dumps(body).encode(), "application/json"


SLACK_OK = (200, b"ok", "text/plain")
WEBHOOK_OK = (204, b"", "text/plain")
