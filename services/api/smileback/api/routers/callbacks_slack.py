"""Slack interactivity: the page's Acknowledge, Take over and Resolve buttons act as the
responder whose `slack` member id clicked.

Outside /v1 (Slack signs instead of sending a token). A bad or stale signature is a 401;
anything signed gets a 200 at once (Slack waits 3 s). The message is then updated through
the payload's `response_url`, after the answer is sent and only when it is an
https://hooks.slack.com/ address: the page says who claimed or resolved it, and someone
Smileback does not know, or who lost the race, is told so privately.
"""

from __future__ import annotations

from typing import Any

import httpx
import structlog
from fastapi import APIRouter, BackgroundTasks, Request, Response
from starlette.concurrency import run_in_threadpool

from smileback.api.channels import (
    SLACK_MAX_SKEW,
    ChannelAction,
    ChannelError,
    ReplayGuard,
    slack_action,
    slack_notice,
    slack_response_url_ok,
    slack_signature_ok,
    slack_update,
)
from smileback.api.context import ApiContext
from smileback.api.errors import ApiError
from smileback.api.routers.callbacks_common import (
    CHANNEL_CALLBACKS,
    Channels,
    act_as,
    find_responder,
)
from smileback.common.incident_status import IncidentStatus

__all__ = ["make_router"]

log = structlog.get_logger(__name__)

_TIMEOUT_S = 5.0


def make_router(channels: Channels) -> APIRouter:
    """POST /callbacks/slack, checking signatures with `channels.slack_secret`."""
    if channels.slack_secret is None:
        raise ValueError("the Slack callback needs its signing secret")
    secret = channels.slack_secret.get_secret_value().encode("utf-8")
    client = channels.slack_client or httpx.Client(timeout=_TIMEOUT_S)
    # A signature covers its timestamp, so one seen again within the skew is a replay.
    seen = ReplayGuard(window=2 * SLACK_MAX_SKEW)
    router = APIRouter(prefix="/callbacks", tags=["callbacks"], include_in_schema=False)

    @router.post("/slack")
    async def slack(request: Request, background: BackgroundTasks) -> Response:
        """One interaction payload (form-encoded `payload=`)."""
        context: ApiContext = request.app.state.context
        body = await request.body()
        signature = request.headers.get("x-slack-signature")
        if not slack_signature_ok(
            secret=secret,
            body=body,
            timestamp=request.headers.get("x-slack-request-timestamp"),
            header=signature,
            now=context.clock(),
        ):
            CHANNEL_CALLBACKS.labels(channel="slack", outcome="bad_signature").inc()
            raise ApiError(status=401, code="unauthorized", message="bad or stale signature")
        if signature is None or not seen.first_time(signature, now=context.clock()):
            CHANNEL_CALLBACKS.labels(channel="slack", outcome="replayed").inc()
            return Response(status_code=200)
        try:
            action = slack_action(body)
        except ChannelError as exc:
            CHANNEL_CALLBACKS.labels(channel="slack", outcome="bad_payload").inc()
            raise ApiError(status=400, code="bad_request", message=str(exc)) from exc
        if action is None:  # a link button, or an interaction we do not handle
            CHANNEL_CALLBACKS.labels(channel="slack", outcome="ignored").inc()
            return Response(status_code=200)
        outcome, reply = await run_in_threadpool(_handle, context, action)
        CHANNEL_CALLBACKS.labels(channel="slack", outcome=outcome).inc()
        log.info("slack action", incident_id=action.incident_id, outcome=outcome)
        url = action.response_url
        if url is not None and slack_response_url_ok(url):
            background.add_task(_tell_slack, client, url, reply)
        elif url is not None:
            log.warning("slack response_url refused: not https://hooks.slack.com/")
        return Response(status_code=200)

    return router


def _handle(context: ApiContext, action: ChannelAction) -> tuple[str, dict[str, Any]]:
    """The outcome, and what to tell Slack about it."""
    responder = find_responder(context, channel="slack", slack=action.user)
    if responder is None:
        notice = "Smileback does not know your Slack account: ask for it in the on-call file."
        return "unmapped_user", slack_notice(notice)
    acted = act_as(context, action, channel="slack", responder=responder, owner=None)
    if acted.result is None:
        return acted.outcome, slack_notice(f"Not done: {acted.reason or acted.outcome}.")
    resolved = acted.result.status is IncidentStatus.RESOLVED
    return acted.outcome, slack_update(action=action, who=responder.label, resolved=resolved)


def _tell_slack(client: httpx.Client, url: str, message: dict[str, Any]) -> None:
    """POST the update to Slack; a failure is logged (the incident is already updated)."""
    try:
        response = client.post(url, json=message, timeout=_TIMEOUT_S)
    except httpx.HTTPError as exc:
        log.warning("could not update the slack message", error=type(exc).__name__)
        return
    if response.status_code >= 400:
        log.warning("slack refused the message update", status=response.status_code)
