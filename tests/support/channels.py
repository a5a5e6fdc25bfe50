"""PagerDuty v3 webhook deliveries and Slack `block_actions` interactions, as their
publishers document them, signed the way they sign them."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

__all__ = [
    "pagerduty_headers",
    "pagerduty_webhook",
    "slack_headers",
    "slack_interaction",
]


def _user(user_id: str, name: str = "A Responder") -> dict[str, str]:
    return {
        "html_url": f"https://acme.pagerduty.com/users/{user_id}",
        "id": user_id,
        "self": f"https://api.pagerduty.com/users/{user_id}",
        "summary": name,
        "type": "user_reference",
    }


def pagerduty_webhook(
    *,
    event_type: str,
    incident_key: str | None,
    agent: str = "PLH1HKV",
    agent_type: str = "user_reference",
    assignees: tuple[str, ...] = ("PTUXL6G",),
    event_id: str = "5ac64822-4adc-4fda-ade0-410becf0de4f",
    occurred_at: str = "2025-03-01T12:07:00.169Z",
) -> bytes:
    """One v3 webhook body: `event` with id, type, agent and the incident in `data`."""
    status = {"incident.acknowledged": "acknowledged", "incident.resolved": "resolved"}
    data: dict[str, Any] = {
        "id": "PGR0VU2",
        "type": "incident",
        "self": "https://api.pagerduty.com/incidents/PGR0VU2",
        "html_url": "https://acme.pagerduty.com/incidents/PGR0VU2",
        "number": 2,
        "status": status.get(event_type, "triggered"),
        "incident_key": incident_key,
        "created_at": "2025-03-01T12:00:00Z",
        "title": "acme: negative surge",
        "service": {
            "html_url": "https://acme.pagerduty.com/services/PF9KMXH",
            "id": "PF9KMXH",
            "self": "https://api.pagerduty.com/services/PF9KMXH",
            "summary": "Smileback",
            "type": "service_reference",
        },
        "assignees": [_user(a) for a in assignees],
        "escalation_policy": {
            "html_url": "https://acme.pagerduty.com/escalation_policies/PUS0KTE",
            "id": "PUS0KTE",
            "self": "https://api.pagerduty.com/escalation_policies/PUS0KTE",
            "summary": "Default",
            "type": "escalation_policy_reference",
        },
        "teams": [],
        "priority": None,
        "urgency": "high",
        "conference_bridge": None,
        "resolve_reason": None,
    }
    if incident_key is None:
        del data["incident_key"]
    agent_ref = (
        _user(agent)
        if agent_type == "user_reference"
        else {"id": agent, "type": agent_type, "summary": "Smileback integration"}
    )
    body = {
        "event": {
            "id": event_id,
            "event_type": event_type,
            "resource_type": "incident",
            "occurred_at": occurred_at,
            "agent": agent_ref,
            "client": {"name": "PagerDuty"},
            "data": data,
        }
    }
    return json.dumps(body).encode()


def pagerduty_headers(*secrets: str, body: bytes) -> dict[str, str]:
    """`X-PagerDuty-Signature`: one `v1=` HMAC per secret (several while rotating)."""
    signatures = ["v1=" + hmac.new(s.encode(), body, hashlib.sha256).hexdigest() for s in secrets]
    return {"Content-Type": "application/json", "X-PagerDuty-Signature": ",".join(signatures)}


def slack_interaction(
    *,
    action_id: str,
    incident_id: str,
    user: str = "U012AB3CD",
    response_url: str = "https://hooks.slack.com/actions/T0/1/XXXX",
    blocks: list[dict[str, Any]] | None = None,
) -> bytes:
    """A `block_actions` payload for one button click, form-encoded as Slack posts it."""
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": "sam", "name": "sam", "team_id": "T0"},
        "api_app_id": "A0",
        "token": "deprecated-verification-token",
        "container": {"type": "message", "message_ts": "1548261231.000200"},
        "trigger_id": "12345.98765.abcd",
        "team": {"id": "T0", "domain": "acme"},
        "channel": {"id": "C0", "name": "incidents"},
        "message": {"type": "message", "ts": "1548261231.000200", "blocks": blocks or []},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "b1",
                "text": {"type": "plain_text", "text": "Acknowledge"},
                "value": incident_id,
                "type": "button",
                "action_ts": "1548426417.840180",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def slack_headers(secret: str, *, body: bytes, at: datetime) -> dict[str, str]:
    """`X-Slack-Request-Timestamp` and its `v0=` signature of `v0:<timestamp>:<body>`."""
    timestamp = str(int(at.timestamp()))
    signed = b"v0:" + timestamp.encode() + b":" + body
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": "v0=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest(),
    }
