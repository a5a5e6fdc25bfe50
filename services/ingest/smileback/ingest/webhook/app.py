"""The webhook's HTTP surface: `POST /v1/ingest`, Standard Webhooks signed, and the probes.

Checks run cheapest first and say exactly what is wrong: 413 (too large), 415 (not
application/json), 401 (signature missing, wrong or expired; webhook-id already taken),
400 (not UTF-8 or not JSON), 422 (not mentions: which item, which field), 503 with
Retry-After (Kafka did not acknowledge in time, or has not answered yet since the start),
else 202 with the ids written. A webhook-id is remembered only when its message was
answered 202, so a sender may retry the same message after any other answer, as Standard
Webhooks senders do.

`GET /healthz` is 200 while the process serves; `GET /readyz` 200 while Kafka takes writes
(the Intake is open and every dependency of `health` is up), else 503 with the reason;
`GET /metrics` the Prometheus text of every metric of the process.
"""

from __future__ import annotations

import threading
import time

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from smileback.common.clock import Clock
from smileback.common.health import Health
from smileback.ingest.webhook.batch import MAX_BODY_BYTES, RefusedError, parse_batch
from smileback.ingest.webhook.intake import IntakeSlot, UnavailableError
from smileback.ingest.webhook.metrics import ACCEPTED, REJECTED, REQUEST_SECONDS
from smileback.ingest.webhook.signature import SeenMessages, SignatureError, WebhookKey, verify

__all__ = ["RETRY_AFTER_S", "create_app"]

RETRY_AFTER_S = 5

# The `reason` label of a refusal: a few fixed words, never the request's own text.
_REASONS = {
    400: "malformed",
    401: "signature",
    413: "too_large",
    415: "media_type",
    422: "not_mentions",
}


def create_app(*, key: WebhookKey, intake: IntakeSlot, clock: Clock, health: Health) -> Starlette:
    """The webhook app; `clock` dates signatures and fills missing mention times, `health`
    holds the dependencies /readyz answers for."""
    seen = SeenMessages()
    seen_lock = threading.Lock()

    async def ingest(request: Request) -> JSONResponse:
        started = time.perf_counter()
        try:
            return await answer(request)
        finally:
            REQUEST_SECONDS.observe(time.perf_counter() - started)

    async def answer(request: Request) -> JSONResponse:
        try:
            body = await _body(request)
            msg_id, timestamp = _verified(key=key, request=request, body=body, clock=clock)
        except RefusedError as refusal:
            return _refused(refusal)
        with seen_lock:
            if not seen.claim(msg_id, timestamp=timestamp, now=clock()):
                replayed = RefusedError(401, f"webhook-id {msg_id!r} was already accepted")
                return _refused(replayed, reason="replayed")
        try:
            mentions = parse_batch(body, now=clock())
            taken = await run_in_threadpool(intake.take, mentions)
        except (RefusedError, UnavailableError) as exc:
            with seen_lock:
                seen.release(msg_id)
            if isinstance(exc, RefusedError):
                return _refused(exc)
            REJECTED.labels(status="503", reason="starting" if exc.starting else "kafka").inc()
            return JSONResponse(
                {"error": f"Kafka is not taking writes, retry later ({exc})"},
                status_code=503,
                headers={"Retry-After": str(RETRY_AFTER_S)},
            )
        ACCEPTED.inc(len(taken.accepted))
        return JSONResponse(
            {"accepted": list(taken.accepted), "unmatched": list(taken.unmatched)},
            status_code=202,
        )

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> JSONResponse:
        status = health.readiness()
        detail = {"intake": "open" if intake.is_open else "waiting for Kafka", **status.detail}
        ok = intake.is_open and status.ok
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", **detail}, status_code=200 if ok else 503
        )

    async def metrics(_request: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return Starlette(
        routes=[
            Route("/v1/ingest", ingest, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
        ]
    )


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise RefusedError(413, f"body over {MAX_BODY_BYTES} bytes")
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise RefusedError(415, "Content-Type must be application/json")
    # Read in chunks and stop past the limit: a body without a Content-Length is bounded too.
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise RefusedError(413, f"body over {MAX_BODY_BYTES} bytes")
    return bytes(body)


def _verified(*, key: WebhookKey, request: Request, body: bytes, clock: Clock) -> tuple[str, int]:
    try:
        return verify(key=key, headers=request.headers, body=body, now=clock())
    except SignatureError as exc:
        raise RefusedError(401, str(exc)) from None


def _refused(refusal: RefusedError, *, reason: str | None = None) -> JSONResponse:
    label = reason or _REASONS.get(refusal.status, "other")
    REJECTED.labels(status=str(refusal.status), reason=label).inc()
    content: dict[str, object] = {"error": refusal.reason}
    if refusal.errors:
        content["errors"] = list(refusal.errors)
    return JSONResponse(content, status_code=refusal.status)
