"""The digest kind as each team channel renders it: a count, never a page."""

from __future__ import annotations

from smileback.alerts.notifiers import NotificationKind
from smileback.alerts.notifiers.email import email_message
from smileback.alerts.notifiers.slack import slack_message
from smileback.alerts.notifiers.text import render_text
from smileback.alerts.notifiers.webhook import webhook_body
from smileback.common.events import Severity
from tests.alerts.factory import notification
from tests.support.formats import check_slack_message

SUMMARY = "2 kind mentions waited over 4 h 0 min for a reply (acme 2); the longest 5 h 0 min"


def digest():
    return notification(
        "digest",
        incident_id="digest:smile-back",
        severity=Severity.INFO,
        summary=SUMMARY,
        packet=None,
    )


def test_slack_email_text_and_webhook_render_a_digest() -> None:
    n = digest()
    assert n.kind is NotificationKind.DIGEST
    message = slack_message(notification=n)
    assert check_slack_message(message) == []
    assert "Smile-back queue" in message["text"]
    assert SUMMARY in message["text"]
    email = email_message(notification=n, sender="s@example.com", to=["team@example.com"])
    assert email["Subject"] == f"[smile-back] {SUMMARY}"
    assert email["In-Reply-To"] is None  # its own message, not a reply to an incident's
    assert render_text(n).splitlines() == ["SMILE-BACK DIGEST", f"  {SUMMARY}"]
    assert webhook_body(notification=n, sent_at=n.at)["event"] == "digest"
