"""A local webhook receiver for tests: verifies the signature and records what arrived."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from smileback.alerts.notifiers import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature


@dataclass
class Received:
    """Bodies that arrived, split by whether their signature verified."""

    verified: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def pages(self) -> list[dict[str, Any]]:
        """A copy of the verified bodies."""
        with self.lock:
            return list(self.verified)


class WebhookReceiver:
    """ThreadingHTTPServer on 127.0.0.1:0; answers `status` (200 unless told otherwise)."""

    def __init__(self, *, secret: bytes, status: int = 200) -> None:
        self.secret = secret
        self.status = status
        self.received = Received()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hooks/smileback"

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                ok = verify_signature(
                    secret=receiver.secret,
                    timestamp=self.headers.get(TIMESTAMP_HEADER, ""),
                    body=body,
                    signature=self.headers.get(SIGNATURE_HEADER, ""),
                    now=time.time(),
                )
                with receiver.received.lock:
                    if ok:
                        receiver.received.verified.append(json.loads(body))
                    else:
                        receiver.received.rejected.append(body)
                status = receiver.status if ok else 401
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test output is for assertions."""

        return Handler
