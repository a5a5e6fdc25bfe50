"""Run `smileback ingest webhook` as its own process and post Standard Webhooks signed
requests to it."""

from __future__ import annotations

import base64
import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from standardwebhooks.webhooks import Webhook

from smileback.common.topics import Topics
from tests.support import infra
from tests.support.processes import ServiceProcess

__all__ = ["SECRET", "RunningWebhook", "post", "running_webhook"]

SECRET = "whsec_" + base64.b64encode(b"integration-test-secret-32-bytes").decode()


@dataclass(frozen=True)
class RunningWebhook:
    """The process and its URLs."""

    service: ServiceProcess
    base: str

    @property
    def url(self) -> str:
        """Where mentions are posted."""
        return f"{self.base}/v1/ingest"

    def ready(self) -> bool:
        """Whether /readyz answers 200."""
        try:
            return httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False


@contextlib.contextmanager
def running_webhook(
    *,
    bootstrap: str,
    topics: Topics,
    log: Path,
    ack_timeout_s: float = 10.0,
    wait_ready: bool = True,
) -> Iterator[RunningWebhook]:
    """`smileback ingest webhook` with brand `acme`, once it serves (and, with `wait_ready`,
    once it is ready); on exit it must still be alive and must never have logged its secret."""
    (port,) = infra.free_ports(count=1)
    env = {
        "SMILEBACK_KAFKA_BOOTSTRAP": bootstrap,
        "SMILEBACK_TOPIC_PREFIX": topics.prefix,
        "SMILEBACK_BRANDS": '{"acme": ["acme"]}',
        "SMILEBACK_INGEST_WEBHOOK_SECRET": SECRET,
        "SMILEBACK_INGEST_WEBHOOK_ACK_TIMEOUT_S": str(ack_timeout_s),
    }
    with ServiceProcess(
        args=["ingest", "webhook", "--port", str(port)], env=env, log_path=log
    ) as service:
        webhook = RunningWebhook(service=service, base=f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        while True:
            assert service.alive(), service.tail()
            try:
                httpx.get(f"{webhook.base}/healthz", timeout=1)
                if not wait_ready or webhook.ready():
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, service.tail()
            time.sleep(0.2)
        yield webhook
        assert service.alive(), service.tail()
        assert SECRET.removeprefix("whsec_") not in log.read_text()


def post(
    url: str,
    body: object,
    *,
    msg_id: str | None = None,
    at: datetime | None = None,
    content_type: str = "application/json",
    signature: str | None = None,
) -> httpx.Response:
    """POST `body` (JSON-encoded unless bytes) signed with SECRET, or with `signature`."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    at = at or datetime.now(UTC)
    headers = {
        "content-type": content_type,
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature or Webhook(SECRET).sign(msg_id, at, raw),
    }
    return httpx.post(url, content=raw, headers=headers, timeout=30)
