"""PagerDuty v3 webhooks: an incident acknowledged, resolved or reassigned in PagerDuty is
done here too, as the responder whose `pagerduty` user id acted.

Outside /v1 (PagerDuty signs instead of sending a token). A bad signature is a 401; any
signed delivery gets a 202 even when nothing is done (an unknown user or incident, a
conflict, a replay): PagerDuty retries other answers and disables a subscription that
keeps failing. What happened is logged and counted. Only when the event bus is down is it
a 503, so that PagerDuty's retry does it later.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from smileback.api.channels import ChannelAction, ChannelError, ReplayGuard, pagerduty_action
from smileback.api.channels import pagerduty_signature_ok as signature_ok
from smileback.api.context import ApiContext
from smileback.api.errors import ApiError
from smileback.api.routers.callbacks_common import (
    CHANNEL_CALLBACKS,
    Channels,
    act_as,
    find_responder,
)

__all__ = ["REPLAY_WINDOW", "make_router"]

log = structlog.get_logger(__name__)

REPLAY_WINDOW = timedelta(hours=1)  # PagerDuty's retries of one delivery come within it


def make_router(channels: Channels) -> APIRouter:
    """POST /callbacks/pagerduty, checking signatures with `channels.pagerduty_secret`."""
    if channels.pagerduty_secret is None:
        raise ValueError("the PagerDuty callback needs its secret")
    secret = channels.pagerduty_secret.get_secret_value().encode("utf-8")
    seen = ReplayGuard(window=REPLAY_WINDOW)
    router = APIRouter(prefix="/callbacks", tags=["callbacks"], include_in_schema=False)

    @router.post("/pagerduty", status_code=202)
    async def pagerduty(request: Request) -> Response:
        """One v3 webhook delivery."""
        context: ApiContext = request.app.state.context
        body = await request.body()
        if not signature_ok(
            secret=secret, body=body, header=request.headers.get("x-pagerduty-signature")
        ):
            CHANNEL_CALLBACKS.labels(channel="pagerduty", outcome="bad_signature").inc()
            raise ApiError(status=401, code="unauthorized", message="bad or missing signature")
        try:
            event_id, action = pagerduty_action(body)
        except ChannelError as exc:
            CHANNEL_CALLBACKS.labels(channel="pagerduty", outcome="bad_payload").inc()
            raise ApiError(status=400, code="bad_request", message=str(exc)) from exc
        outcome = await run_in_threadpool(_handle, context, seen, event_id, action)
        CHANNEL_CALLBACKS.labels(channel="pagerduty", outcome=outcome).inc()
        log.info("pagerduty webhook", event_id=event_id, outcome=outcome)
        if outcome == "failed":  # the event bus blinked: PagerDuty's retry will do it
            seen.forget(event_id)
            raise ApiError(status=503, code="unavailable", message="try again later")
        return Response(status_code=202)

    return router


def _handle(
    context: ApiContext, seen: ReplayGuard, event_id: str, action: ChannelAction | None
) -> str:
    if not seen.first_time(event_id, now=context.clock()):
        return "replayed"
    if action is None:
        return "ignored"
    responder = find_responder(context, channel="pagerduty", pagerduty=action.user)
    if responder is None:
        return "unmapped_user"
    owner = None
    if action.owner_user is not None:
        new_owner = find_responder(context, channel="pagerduty", pagerduty=action.owner_user)
        if new_owner is None:
            return "unmapped_user"
        owner = new_owner.id
    return act_as(context, action, channel="pagerduty", responder=responder, owner=owner).outcome
