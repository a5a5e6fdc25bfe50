"""Slack incoming webhook with a Block Kit message: header, the post, who/why/thread/similar
fields, the humane-response guide, the Acknowledge, Take over and Resolve buttons (their
clicks go to the API's /callbacks/slack) and link buttons. Follow-ups and digests are one
line; a take-over notice @-mentions the previous owner with who took over and why. Texts are
cut to Block Kit's limits.

Every text from a post, a person or the configuration is escaped for mrkdwn (and so is the
notification's fallback `text`), so a post cannot mention `<!channel>` or hide a link; the
only `<…>` markup is ours: a responder's Slack member id, when it looks like one. The
post's button appears only for an https link (`Notification.post_url`).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from pydantic import SecretStr

from smileback.alerts.notifiers.base import Notification, NotificationKind, Notifier
from smileback.alerts.notifiers.http import check_url, post_json
from smileback.alerts.notifiers.webhook import dumps
from smileback.common.packet import ContextPacket, clip

__all__ = [
    "BUTTON_CHARS",
    "BUTTON_VALUE_CHARS",
    "FIELD_CHARS",
    "HEADER_CHARS",
    "TEXT_CHARS",
    "SlackNotifier",
    "escape",
    "slack_message",
]

HEADER_CHARS = 150  # plain_text in a header block
TEXT_CHARS = 3000  # a section's text
FIELD_CHARS = 2000  # each section field
BUTTON_CHARS = 75
BUTTON_VALUE_CHARS = 2000
_ICON = {"critical": ":rotating_light:", "warning": ":warning:", "info": ":information_source:"}
_DONE = {NotificationKind.ACKNOWLEDGE: ":eyes:", NotificationKind.RESOLVE: ":white_check_mark:"}
_MEMBER_ID = re.compile(r"[UW][A-Z0-9]{1,20}")  # a Slack member id, e.g. U012AB3CD


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(*, notification: Notification) -> dict[str, Any]:
    """The incoming-webhook JSON (`text` is the notification fallback, `blocks` the message)."""
    n = notification
    if n.kind is NotificationKind.DIGEST:
        line = f":hourglass: *Smile-back queue*: {escape(n.summary)}"
        return {
            "text": clip(f"Smile-back queue: {escape(n.summary)}", TEXT_CHARS),
            "blocks": [_section(line)],
        }
    if n.kind is NotificationKind.TAKEN_OVER:
        return _taken_over_message(n)
    if n.kind is not NotificationKind.TRIGGER:
        verb = "Acknowledged" if n.kind is NotificationKind.ACKNOWLEDGE else "Resolved"
        by = f" by {escape(n.responder)}" if n.responder else ""
        line = f"{_DONE[n.kind]} *{verb}*{by}: {escape(n.summary)} (`{escape(n.incident_id)}`)"
        return {
            "text": clip(f"{verb}{by}: {escape(n.summary)}", TEXT_CHARS),
            "blocks": [_section(line)],
        }
    p = n.packet
    rule = (p.why.rule if p is not None else "") or n.rule
    header = f"{n.severity.upper()}: {n.brand} · {rule.replace('_', ' ')}"
    mentions = _mentions(n)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(header, HEADER_CHARS)}},
        _section(f"{_ICON.get(str(n.severity), '')} {escape(n.summary)}".strip()),
        *(_packet_blocks(p) if p is not None else []),
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": clip(
                        f"`{escape(n.incident_id)}` · level {n.level or 1}"
                        + (f" · for {mentions}" if mentions else ""),
                        TEXT_CHARS,
                    ),
                }
            ],
        },
    ]
    buttons = [
        _link_button(url, text)
        for url, text in ((n.post_url, "Open the post"), (n.link, "Open the incident"))
        if url
    ]
    blocks.append({"type": "actions", "elements": [*_action_buttons(n.incident_id), *buttons]})
    return {"text": clip(escape(n.summary), TEXT_CHARS), "blocks": blocks}


def _taken_over_message(n: Notification) -> dict[str, Any]:
    """To the previous owner, @-mentioned: who took the incident over, why, and its link."""
    said = (
        f"{_mentions(n)}: *{escape(n.responder or '?')}* took over `{escape(n.incident_id)}`"
        f" ({escape(n.summary)})"
    )
    blocks = [_section(f":arrows_counterclockwise: {said}\n*Reason:* {escape(n.reason or '-')}")]
    if n.link:
        blocks.append({"type": "actions", "elements": [_link_button(n.link, "Open the incident")]})
    return {"text": clip(f"{said}: {escape(n.reason or '-')}", TEXT_CHARS), "blocks": blocks}


class SlackNotifier(Notifier):
    """Posts Block Kit messages to one Slack incoming webhook (its URL is the credential)."""

    name = "slack"

    def __init__(
        self, *, url: SecretStr, timeout_s: float = 10.0, client: httpx.Client | None = None
    ) -> None:
        self._host = check_url(url.get_secret_value(), what="Slack webhook URL")
        self._url = url
        self._timeout_s = timeout_s
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(timeout=timeout_s)

    def __repr__(self) -> str:
        return f"SlackNotifier(host={self._host!r})"

    def send(self, *, notification: Notification) -> None:
        post_json(
            self._client,
            name=self.name,
            host=self._host,
            url=self._url.get_secret_value(),
            body=dumps(slack_message(notification=notification)),
            headers={"Content-Type": "application/json"},
            timeout_s=self._timeout_s,
            explain=lambda response: clip(response.text, 100),  # e.g. invalid_payload
        )

    def close(self) -> None:
        if self._owns_client:
            self._client.close()


def _mentions(n: Notification) -> str:
    """The responders: an @-mention for a Slack member id, else the escaped name."""
    return " ".join(
        f"<@{r.slack}>" if r.slack and _MEMBER_ID.fullmatch(r.slack) else escape(r.label)
        for r in n.responders
    )


def _link_button(url: str, text: str) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(text, BUTTON_CHARS)},
        "url": url,
    }


def _action_buttons(incident_id: str) -> list[dict[str, Any]]:
    """Acknowledge, Take over and Resolve: Slack posts the click, with the incident id as the
    button's `value`, to the API's /callbacks/slack, which acts as the one who clicked."""
    if len(incident_id) > BUTTON_VALUE_CHARS:
        return []
    return [
        {
            "type": "button",
            "action_id": action_id,
            "text": {"type": "plain_text", "text": text},
            "value": incident_id,
            **({"style": style} if style else {}),
        }
        for action_id, text, style in (
            ("smileback_acknowledge", "Acknowledge", "primary"),
            ("smileback_take_over", "Take over", ""),
            ("smileback_resolve", "Resolve", ""),
        )
    ]


def _packet_blocks(p: ContextPacket) -> list[dict[str, Any]]:
    """The post, the who/why/thread/similar fields, and the guide."""
    who, why, thread, similar = p.who, p.why, p.thread, p.similar
    return [
        _section(">" + escape(p.what.text).replace("\n", "\n>")),
        {
            "type": "section",
            "fields": [
                _field(
                    "Who",
                    f"{who.handle or '?'} · {who.followers} followers"
                    f"{' · verified' if who.verified else ''}"
                    f"{' · bot' if who.bot else ''}"
                    f" · account {who.account_age_days} days",
                ),
                _field(
                    "Why",
                    f"{why.reason}\nnegativity {why.negativity}, "
                    f"reach {why.reach_tier}, pile-on risk {why.pile_on_risk}\n"
                    f"top terms: {', '.join(why.top_terms) or '-'}",
                ),
                _field(
                    "Thread",
                    f"{thread.reply_count} replies\n"
                    + "\n".join(f"{r.handle}: {r.text}" for r in thread.latest_replies[:3]),
                ),
                _field(
                    f"Similar, last {similar.window_minutes} min",
                    f"{similar.count}\n"
                    + "\n".join(f"{s.handle}: {s.text}" for s in similar.items[:3]),
                ),
            ],
        },
        _section("*How to answer*\n" + "\n".join(f"• {escape(g)}" for g in p.guide)),
    ]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, TEXT_CHARS) or " "}}


def _cut(text: str, limit: int) -> str:
    """Cut to `limit` chars keeping line breaks (mrkdwn uses them)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _field(title: str, body: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": _cut(f"*{escape(title)}*\n{escape(body)}", FIELD_CHARS)}
