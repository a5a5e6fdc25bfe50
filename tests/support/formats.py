"""What PagerDuty's Events API v2 and Slack's incoming webhooks accept, as test checks.

Each check returns the problems it finds (an empty list means the body is valid), so the
local receivers in the integration tests can refuse a bad body with 400 as the real ones do.
"""

from __future__ import annotations

from typing import Any

PD_ACTIONS = {"trigger", "acknowledge", "resolve"}
PD_SEVERITIES = {"critical", "error", "warning", "info"}
PD_TOP_KEYS = {
    "routing_key",
    "event_action",
    "dedup_key",
    "payload",
    "links",
    "images",
    "client",
    "client_url",
}
PD_PAYLOAD_KEYS = {
    "summary",
    "source",
    "severity",
    "timestamp",
    "component",
    "group",
    "class",
    "custom_details",
}
SLACK_BLOCKS = {"header", "section", "context", "actions", "divider"}


def check_pagerduty_event(body: Any, *, routing_key: str) -> list[str]:
    """Problems with an Events API v2 body (https://events.pagerduty.com/v2/enqueue)."""
    if not isinstance(body, dict):
        return ["body is not an object"]
    problems = [f"unknown key {k}" for k in body if k not in PD_TOP_KEYS]
    if body.get("routing_key") != routing_key:
        problems.append("wrong routing_key")
    action = body.get("event_action")
    if action not in PD_ACTIONS:
        problems.append(f"bad event_action {action!r}")
    dedup = body.get("dedup_key")
    if not isinstance(dedup, str) or not dedup or len(dedup) > 255:
        problems.append("dedup_key must be 1..255 chars")
    if action != "trigger":
        if "payload" in body:
            problems.append(f"{action} carries no payload")
        return problems
    payload = body.get("payload")
    if not isinstance(payload, dict):
        return [*problems, "trigger needs a payload"]
    problems += [f"unknown payload key {k}" for k in payload if k not in PD_PAYLOAD_KEYS]
    summary = payload.get("summary")
    if not isinstance(summary, str) or not summary or len(summary) > 1024:
        problems.append("payload.summary must be 1..1024 chars")
    if not isinstance(payload.get("source"), str) or not payload["source"]:
        problems.append("payload.source is required")
    if payload.get("severity") not in PD_SEVERITIES:
        problems.append(f"bad payload.severity {payload.get('severity')!r}")
    if "custom_details" in payload and not isinstance(payload["custom_details"], dict):
        problems.append("custom_details must be an object")
    for link in body.get("links", []):
        if not isinstance(link, dict) or not isinstance(link.get("href"), str):
            problems.append("each link needs an href")
    return problems


def check_slack_message(body: Any) -> list[str]:
    """Problems with an incoming-webhook body: fallback text and Block Kit limits."""
    if not isinstance(body, dict):
        return ["body is not an object"]
    problems = []
    if not isinstance(body.get("text"), str) or not body["text"]:
        problems.append("text (the notification fallback) is required")
    blocks = body.get("blocks", [])
    if not isinstance(blocks, list) or len(blocks) > 50:
        return [*problems, "blocks must be a list of at most 50"]
    for i, block in enumerate(blocks):
        kind = block.get("type")
        if kind not in SLACK_BLOCKS:
            problems.append(f"block {i}: unknown type {kind!r}")
        if kind == "header":
            text = block.get("text", {})
            if text.get("type") != "plain_text" or not 0 < len(text.get("text", "")) <= 150:
                problems.append(f"block {i}: header needs plain_text of 1..150 chars")
        if kind == "section":
            text, fields = block.get("text"), block.get("fields")
            if text is None and not fields:
                problems.append(f"block {i}: section needs text or fields")
            if text is not None and not 0 < len(text.get("text", "")) <= 3000:
                problems.append(f"block {i}: section text must be 1..3000 chars")
            if fields is not None and (
                len(fields) > 10 or any(len(f.get("text", "")) > 2000 for f in fields)
            ):
                problems.append(f"block {i}: at most 10 fields of 2000 chars")
        if kind == "actions":
            for button in block.get("elements", []):
                if len(button.get("text", {}).get("text", "")) > 75:
                    problems.append(f"block {i}: button text over 75 chars")
    return problems
