"""Acknowledgements from where responders are: PagerDuty v3 webhooks and Slack buttons (pure).

Both arrive signed, not with a bearer token: PagerDuty sends `X-PagerDuty-Signature:
v1=<hex>` (HMAC-SHA256 of the raw body with the subscription's secret; several, comma-
separated, while a secret is rotated), Slack `X-Slack-Signature: v0=<hex>` (HMAC-SHA256 of
`v0:<X-Slack-Request-Timestamp>:<raw body>` with the app's signing secret). PagerDuty signs
no timestamp, so a replayed delivery is recognised by its event id; Slack's is refused once
its timestamp is more than five minutes off, and recognised by its signature within that.

The person is found in the on-call file: a responder's `pagerduty` user id or `slack`
member id. The incident is found by what Smileback gave the channel: the Slack button's
`value`, PagerDuty's `incident_key` (the Events v2 `dedup_key`, which is our incident id).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from smileback.api.actions import ActionKind
from smileback.common.events import incident_of_dedup_key
from smileback.common.oncall import OnCallConfig, Responder

__all__ = [
    "PAGERDUTY_EVENTS",
    "SLACK_ACTIONS",
    "SLACK_MAX_SKEW",
    "ChannelAction",
    "ChannelError",
    "ReplayGuard",
    "pagerduty_action",
    "pagerduty_signature_ok",
    "responder_by",
    "slack_action",
    "slack_notice",
    "slack_response_url_ok",
    "slack_signature_ok",
    "slack_update",
]

SLACK_MAX_SKEW = timedelta(minutes=5)
# PagerDuty event type -> what it does here; `incident.reassigned` gives the incident to the
# (first) new assignee.
PAGERDUTY_EVENTS = {
    "incident.acknowledged": ActionKind.ACKNOWLEDGE,
    "incident.resolved": ActionKind.RESOLVE,
    "incident.reassigned": ActionKind.ASSIGN,
}
# The action_id of the page's buttons (notifiers/slack.py) -> what it does; "take over"
# makes the one who clicked the owner, an audited take-over from whoever held it.
SLACK_ACTIONS = {
    "smileback_acknowledge": ActionKind.ACKNOWLEDGE,
    "smileback_take_over": ActionKind.TAKE_OVER,
    "smileback_resolve": ActionKind.RESOLVE,
}
_SLACK_HOOKS = "hooks.slack.com"


class ChannelError(ValueError):
    """A callback that cannot be read (bad JSON, missing fields)."""


@dataclass(frozen=True)
class ChannelAction:
    """What a channel asks for: `kind` on `incident_id`, by the channel user `user`; for an
    assignment, the channel user who is to own it (`owner_user`)."""

    incident_id: str
    kind: ActionKind
    user: str
    owner_user: str | None = None
    response_url: str | None = None  # Slack: where to update the message
    blocks: tuple[dict[str, Any], ...] = ()  # Slack: the message the button was on


def _signatures_match(secret: bytes, signed: bytes, given: str, *, version: str) -> bool:
    expected = hmac.new(secret, signed, hashlib.sha256).hexdigest()
    found = False
    for part in given.split(","):
        ver, _, digest = part.strip().partition("=")
        # compare_digest on every candidate: the time taken does not tell which one was close.
        if ver == version and hmac.compare_digest(digest.encode(), expected.encode()):
            found = True
    return found


def pagerduty_signature_ok(*, secret: bytes, body: bytes, header: str | None) -> bool:
    """Whether one of the `v1=` signatures in `X-PagerDuty-Signature` signs `body`."""
    return header is not None and _signatures_match(secret, body, header, version="v1")


def slack_signature_ok(
    *, secret: bytes, body: bytes, timestamp: str | None, header: str | None, now: datetime
) -> bool:
    """Whether `X-Slack-Signature` signs the body at a timestamp within five minutes of `now`."""
    if header is None or timestamp is None or not timestamp.isdigit():
        return False
    if abs(now.timestamp() - int(timestamp)) > SLACK_MAX_SKEW.total_seconds():
        return False
    signed = b"v0:" + timestamp.encode() + b":" + body
    return _signatures_match(secret, signed, header, version="v0")


class ReplayGuard:
    """Keys seen within `window` (at most `capacity` of them): a second sight is a replay."""

    def __init__(self, *, window: timedelta, capacity: int = 10_000) -> None:
        self._window = window
        self._capacity = capacity
        self._seen: OrderedDict[str, datetime] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, key: str, *, now: datetime) -> bool:
        """Record `key`; False when it was already seen within the window."""
        with self._lock:
            while self._seen:
                oldest, at = next(iter(self._seen.items()))
                if now - at <= self._window and len(self._seen) < self._capacity:
                    break
                del self._seen[oldest]
            if key in self._seen:
                return False
            self._seen[key] = now
            return True

    def forget(self, key: str) -> None:
        """Let `key` be seen again (its handling failed and will be retried)."""
        with self._lock:
            self._seen.pop(key, None)


def responder_by(oncall: OnCallConfig, *, pagerduty: str = "", slack: str = "") -> Responder | None:
    """The responder whose `pagerduty` user id or `slack` member id this is."""
    for responder in oncall.responders.values():
        if (pagerduty and responder.pagerduty == pagerduty) or (slack and responder.slack == slack):
            return responder
    return None


def pagerduty_action(body: bytes) -> tuple[str, ChannelAction | None]:
    """The event's id and what it asks for; None for events that change nothing here (other
    types, no incident key, or not done by a user, e.g. our own Events v2 resolve)."""
    doc = _json(body)
    event = doc.get("event")
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        raise ChannelError("a PagerDuty webhook carries an `event` with an `id`")
    kind = PAGERDUTY_EVENTS.get(str(event.get("event_type")))
    data, agent = event.get("data"), event.get("agent")
    if kind is None or not isinstance(data, dict) or not isinstance(agent, dict):
        return event["id"], None
    # Events v2 incidents carry the trigger's dedup_key as `incident_key`: our incident id,
    # with `#r<n>` after a reopening.
    key, user = data.get("incident_key"), agent.get("id")
    if not isinstance(key, str) or not key or not isinstance(user, str):
        return event["id"], None
    incident_id = incident_of_dedup_key(key)
    if agent.get("type") != "user_reference":
        return event["id"], None
    owner = None
    if kind is ActionKind.ASSIGN:
        assignees = [a.get("id") for a in data.get("assignees") or [] if isinstance(a, dict)]
        owner = next((a for a in assignees if isinstance(a, str)), None)
        if owner is None:
            return event["id"], None
    return event["id"], ChannelAction(
        incident_id=incident_id, kind=kind, user=user, owner_user=owner
    )


def slack_action(body: bytes) -> ChannelAction | None:
    """The button a Slack `block_actions` payload reports; None for other buttons (the
    page's link buttons report clicks too) and other interaction types."""
    try:
        form = parse_qs(body.decode("utf-8"), strict_parsing=True)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ChannelError("a Slack interaction is a form with a `payload` field") from exc
    payload = _json((form.get("payload") or [""])[0].encode())
    if payload.get("type") != "block_actions":
        return None
    user = payload.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        raise ChannelError("a Slack interaction names its `user`")
    for action in payload.get("actions") or []:
        if not isinstance(action, dict):
            continue
        kind = SLACK_ACTIONS.get(str(action.get("action_id")))
        value = action.get("value")
        if kind is not None and isinstance(value, str) and value:
            url = payload.get("response_url")
            message = payload.get("message")
            blocks = message.get("blocks") if isinstance(message, dict) else None
            return ChannelAction(
                incident_id=value,
                kind=kind,
                user=user["id"],
                response_url=url if isinstance(url, str) else None,
                blocks=tuple(b for b in blocks or [] if isinstance(b, dict)),
            )
    return None


def slack_update(*, action: ChannelAction, who: str, resolved: bool) -> dict[str, Any]:
    """The page again (replacing it through `response_url`), saying who did what; a resolved
    incident loses its buttons, a claimed one keeps Take over and Resolve."""
    verb = {
        ActionKind.ACKNOWLEDGE: "Acknowledged",
        ActionKind.TAKE_OVER: "Taken over",
        ActionKind.RESOLVE: "Resolved",
    }[action.kind]
    gone = set(SLACK_ACTIONS) if resolved else {"smileback_acknowledge"}
    blocks: list[dict[str, Any]] = []
    for block in action.blocks:
        if block.get("type") == "actions":
            elements = [
                e
                for e in block.get("elements") or []
                if not (isinstance(e, dict) and e.get("action_id") in gone)
            ]
            if not elements:
                continue
            block = {**block, "elements": elements}
        blocks.append(block)
    # plain_text: the name is the on-call file's, shown as written, never as mrkdwn.
    line = f"{verb} by {who}"
    blocks.append({"type": "context", "elements": [{"type": "plain_text", "text": line}]})
    return {"replace_original": True, "text": _mrkdwn_escaped(line), "blocks": blocks}


def slack_notice(text: str) -> dict[str, Any]:
    """A message only the one who clicked sees, leaving the page as it is."""
    return {"response_type": "ephemeral", "replace_original": False, "text": _mrkdwn_escaped(text)}


def _mrkdwn_escaped(text: str) -> str:
    """A message's `text` is mrkdwn: a name must not mention `<!channel>` or hide a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_response_url_ok(url: str) -> bool:
    """Only https://hooks.slack.com/ is called back: the URL comes from the request."""
    parts = urlsplit(url)
    return parts.scheme == "https" and parts.hostname == _SLACK_HOOKS and parts.port is None


def _json(body: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ChannelError("the body is not JSON") from exc
    if not isinstance(doc, dict):
        raise ChannelError("the body is not a JSON object")
    return doc
