"""One local HTTP receiver for every test that needs something to page: a signed webhook,
PagerDuty or Slack. It records what arrived, can misbehave on a script (e.g. 429, then 500,
then a timeout, then accept), answer 503 while `unavailable`, and go down (refusing
connections) and come back on the same port. A signed webhook is verified as any receiver
would, with the `standardwebhooks` library."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from smileback.alerts.notifiers import ID_HEADER

__all__ = [
    "HANG",
    "SLACK_OK",
    "WEBHOOK_OK",
    "Check",
    "Delivery",
    "Log",
    "Receiver",
    "pagerduty_ok",
]

HANG = "hang"  # a script step: answer nothing until the client has given up

Check = Callable[[bytes, dict[str, str]], list[str]]
Answer = tuple[int, bytes, str]  # status, body, content type

SLACK_OK: Answer = (200, b"ok", "text/plain")
WEBHOOK_OK: Answer = (204, b"", "text/plain")


def pagerduty_ok(dedup: str = "") -> Answer:
    """PagerDuty's answer to an accepted event."""
    body = {"status": "success", "message": "Event processed", "dedup_key": dedup}
    return 202, json.dumps(body).encode(), "application/json"


@dataclass(frozen=True)
class Delivery:
    """One accepted body, when it arrived (monotonic seconds) and its `webhook-id` ("" without
    one): a receiver acts once per id, so a repeat under the same id is no second page."""

    body: dict[str, Any]
    at: float
    webhook_id: str = ""


@dataclass
class Log:
    """What arrived: every attempt with how it was answered, each attempt's `webhook-id`
    ("" without one), the accepted bodies (with their arrival times), the bodies `check`
    refused (400) and those whose signature failed (401)."""

    attempts: list[tuple[str, dict[str, Any] | None]] = field(default_factory=list)
    webhook_ids: list[str] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    refused: list[tuple[dict[str, Any] | None, list[str]]] = field(default_factory=list)
    rejected: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def accepted(self) -> list[dict[str, Any]]:
        return [d.body for d in self.deliveries]

    def snapshot(self) -> tuple[list[tuple[str, Any]], list[dict[str, Any]], list[Any]]:
        """Copies of (attempts, accepted bodies, refused)."""
        with self.lock:
            return list(self.attempts), self.accepted, list(self.refused)


class Receiver:
    """A ThreadingHTTPServer on 127.0.0.1 (a port of its own, kept across `down()`/`up()`).

    Each request takes the next `script` step (a status, or HANG), then `ok`. A request
    that would be accepted is first checked: with `secret` (a `whsec_<base64>` string, any
    other string or bytes: the key as the notifier reads it), its Standard Webhooks
    signature and timestamp (401 when they fail); with `check`, its body and headers (400
    with the problems). `with` starts and stops it."""

    def __init__(
        self,
        *,
        ok: Answer = WEBHOOK_OK,
        secret: str | bytes | None = None,
        script: list[int | str] | None = None,
        check: Check | None = None,
        hang_s: float = 3.0,
        retry_after: str | None = None,
        unavailable: bool = False,
        path: str = "/hooks/smileback",
    ) -> None:
        self.ok = ok
        self.verifier = (
            None
            if secret is None
            else Webhook(
                secret
                if isinstance(secret, bytes) or secret.startswith("whsec_")
                else secret.encode()
            )
        )
        self.script = list(script or [])
        self.check = check
        self.hang_s = hang_s
        self.retry_after = retry_after
        self.unavailable = unavailable  # while True: every request gets 503
        self.path = path
        self.log = Log()
        self._server: ThreadingHTTPServer | None = self._bind(0)
        self.port = int(self._server.server_address[1])
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def __enter__(self) -> Receiver:
        self.up()
        return self

    def __exit__(self, *_: object) -> None:
        self.down()

    def up(self) -> None:
        """Serve (again, on the same port)."""
        if self._thread is not None:
            return
        if self._server is None:
            deadline = time.monotonic() + 30
            while True:
                try:
                    self._server = self._bind(self.port)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def down(self) -> None:
        """Stop listening: connections are refused until `up()`."""
        if self._server is None:
            return
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()
        self._server = self._thread = None

    def pages(self) -> list[dict[str, Any]]:
        """A copy of the accepted bodies."""
        with self.log.lock:
            return self.log.accepted

    def deliveries(self) -> list[Delivery]:
        """A copy of the accepted bodies with their arrival times."""
        with self.log.lock:
            return list(self.log.deliveries)

    def rejected(self) -> list[bytes]:
        """A copy of the bodies whose signature failed."""
        with self.log.lock:
            return list(self.log.rejected)

    def _bind(self, port: int) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        server.daemon_threads = True
        return server

    def _step(self) -> int | str:
        with self.log.lock:
            if self.unavailable:
                return 503
            return self.script.pop(0) if self.script else self.ok[0]

    def _problems(self, raw: bytes, headers: dict[str, str]) -> tuple[int, list[str]]:
        """(401, …) for a failed signature, (400, problems) for a failed check, or (0, [])."""
        if self.verifier is not None:
            try:
                self.verifier.verify(raw, headers, json_parse=False)
            except WebhookVerificationError as exc:
                return 401, [str(exc)]
        problems = self.check(raw, headers) if self.check else []
        return (400, problems) if problems else (0, [])

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
                log = receiver.log
                with log.lock:
                    log.attempts.append((str(step), body))
                    log.webhook_ids.append(self.headers.get(ID_HEADER, ""))
                if step == HANG:
                    time.sleep(receiver.hang_s)
                    self._answer(504, b"")
                    return
                if step != receiver.ok[0]:
                    self._answer(int(step), b"")
                    return
                status, problems = receiver._problems(raw, dict(self.headers))
                with log.lock:
                    if status == 401:
                        log.rejected.append(raw)
                    elif status == 400:
                        log.refused.append((body, problems))
                    else:
                        log.deliveries.append(
                            Delivery(body, time.monotonic(), self.headers.get(ID_HEADER, ""))
                        )
                if status == 401:
                    self._answer(401, b"")
                elif status == 400:
                    self._answer(400, json.dumps({"errors": problems}).encode())
                else:
                    self._answer(*receiver.ok)

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
