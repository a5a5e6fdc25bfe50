"""What the PagerDuty and Slack callbacks share: their secrets, their metric, and the one
place they act on an incident as a responder (the console's own action path)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import structlog
from prometheus_client import Counter
from pydantic import SecretStr

from smileback.api.acting import act
from smileback.api.actions import ActingResponder, ActionKind
from smileback.api.channels import ChannelAction, responder_by
from smileback.api.context import ApiContext
from smileback.api.errors import ApiError
from smileback.api.schemas import ActionResultOut
from smileback.common.errors import ConfigError
from smileback.common.oncall import Responder

__all__ = ["CHANNEL_CALLBACKS", "Acted", "Channels", "act_as", "find_responder"]

log = structlog.get_logger(__name__)

CHANNEL_CALLBACKS = Counter(
    "smileback_api_channel_callbacks_total",
    "PagerDuty webhooks and Slack button clicks, by channel and outcome "
    "(acted, unmapped_user, unknown_incident, conflict, replayed, ignored, bad_signature, "
    "bad_payload, failed).",
    ["channel", "outcome"],
)


@dataclass(frozen=True)
class Channels:
    """The callbacks' secrets (a callback without its secret is not served) and the client
    that updates Slack messages."""

    pagerduty_secret: SecretStr | None = None
    slack_secret: SecretStr | None = None
    slack_client: httpx.Client | None = None


@dataclass(frozen=True)
class Acted:
    """How an action from a channel went: `outcome` for the metric, the incident's state
    after it (None when refused), and why it was refused."""

    outcome: str
    result: ActionResultOut | None = None
    reason: str = ""


def find_responder(
    context: ApiContext, *, channel: str, pagerduty: str = "", slack: str = ""
) -> Responder | None:
    """The on-call file's responder for a channel user; None (logged) when there is none."""
    try:
        oncall = context.oncall.config() if context.oncall is not None else None
    except ConfigError as exc:
        log.error("on-call file unreadable", channel=channel, error=str(exc))
        return None
    found = responder_by(oncall, pagerduty=pagerduty, slack=slack) if oncall else None
    if found is None:
        user = pagerduty or slack
        log.warning("channel user not in the on-call file", channel=channel, user=user)
    return found


def act_as(
    context: ApiContext,
    action: ChannelAction,
    *,
    channel: str,
    responder: Responder,
    owner: str | None,
) -> Acted:
    """Do `action` as `responder` through the console's action path, under its lock; the
    credential recorded is the channel's user (`<channel>:<user id>`)."""
    acting = ActingResponder(responder=responder.id, key_id=f"{channel}:{action.user}")
    try:
        result = act(
            context,
            action.incident_id,
            action.kind,
            acting,
            owner=owner if action.kind is ActionKind.ASSIGN else None,
            reason=f"taken over from {channel}" if action.kind is ActionKind.TAKE_OVER else None,
        )
    except ApiError as exc:
        outcome = {404: "unknown_incident", 409: "conflict"}.get(exc.status_code, "failed")
        reason = str(exc.detail)
        log.info("channel action refused", incident_id=action.incident_id, reason=reason)
        return Acted(outcome=outcome, reason=reason)
    return Acted(outcome="acted", result=result)
