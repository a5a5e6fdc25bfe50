"""A take-over notice as each channel renders it: to the previous owner, saying who took the
incident over, why, which incident and where it is on the console."""

from __future__ import annotations

import io
import json

from smileback.alerts.notifiers import NotificationKind, ResponderRef
from smileback.alerts.notifiers.console import ConsoleNotifier
from smileback.alerts.notifiers.email import email_message
from smileback.alerts.notifiers.slack import slack_message
from smileback.alerts.notifiers.text import render_text
from smileback.alerts.notifiers.webhook import webhook_body, webhook_id
from tests.alerts.factory import HOSTILE, notification
from tests.support.builders import T0
from tests.support.formats import check_slack_message

LINK = "https://console.example.com/incidents/inc_abc"
ANA = ResponderRef(id="ana", name="Ana", email="ana@example.com", slack="U0ANA")


def notice(**extra: object):
    fields = {
        "responder": "ben",
        "reason": "I know this customer",
        "responders": [ANA],
        "recipient": None,
        "event_id": "inc_abc:take_over:1",
        "link": LINK,
    }
    return notification("taken_over", **(fields | extra))


def test_slack_mentions_the_previous_owner_with_who_why_and_the_link() -> None:
    message = slack_message(notification=notice())
    assert check_slack_message(message) == []
    section = message["blocks"][0]["text"]["text"]
    assert section.startswith(":arrows_counterclockwise: <@U0ANA>: *ben* took over `inc_abc`")
    assert "[critical] acme: @loud" in section  # the incident's headline
    assert section.endswith("*Reason:* I know this customer")
    assert message["text"].startswith("<@U0ANA>: *ben* took over")
    assert message["blocks"][1]["elements"] == [
        {"type": "button", "text": {"type": "plain_text", "text": "Open the incident"}, "url": LINK}
    ]
    assert "smileback_acknowledge" not in json.dumps(message)  # a notice, not a page


def test_slack_escapes_the_reason_and_the_new_owner() -> None:
    message = slack_message(notification=notice(reason=HOSTILE, responder="<!here>"))
    assert check_slack_message(message) == []
    for text in (message["text"], message["blocks"][0]["text"]["text"]):
        assert "<!channel>" not in text
        assert "<!here>" not in text
        assert "<@U0BOSS>" not in text
        assert "<javascript:" not in text
        assert "&lt;!channel&gt;" in text
        assert "&amp;amp;" in text
    # The only markup is the previous owner's mention.
    assert message["text"].startswith("<@U0ANA>: *&lt;!here&gt;* took over")


def test_slack_names_a_previous_owner_without_a_member_id() -> None:
    previous = ResponderRef(id="sam", name="Sam <admin>", slack="not-an-id")
    message = slack_message(notification=notice(responders=[previous], link=None))
    assert message["text"].startswith("Sam &lt;admin&gt;: *ben* took over")
    assert len(message["blocks"]) == 1  # no console address configured: no button


def test_email_goes_to_the_previous_owner_in_the_incident_thread() -> None:
    n = notice(recipient="ana@example.com")
    email = email_message(notification=n, sender="s@example.com", to=["ana@example.com"])
    assert email["Subject"] == f"[taken over by ben] {n.summary}"
    assert email["To"] == "ana@example.com"
    assert email["In-Reply-To"] == "<inc_abc@smileback>"
    later = email_message(
        notification=n.model_copy(update={"at": n.at.replace(minute=n.at.minute + 1)}),
        sender="s@example.com",
        to=["ana@example.com"],
    )
    # A second take-over of the incident is a message of its own.
    assert email["Message-ID"] != later["Message-ID"]
    assert "taken_over" in email["Message-ID"]
    body = email.get_content()
    assert "ben took it over from Ana: I know this customer" in body
    assert body.count(LINK) == 1


def test_console_text_says_who_why_and_where() -> None:
    stream = io.StringIO()
    ConsoleNotifier(stream).send(notification=notice())
    assert stream.getvalue().splitlines() == [
        "TAKEN OVER inc_abc by ben",
        "  [critical] acme: @loud (250,000 followers)",
        "  ben took it over from Ana: I know this customer",
        f"  incident: {LINK}",
    ]
    assert render_text(notice(link=None)).count("incident:") == 0


def test_webhook_carries_the_take_over() -> None:
    n = notice()
    body = webhook_body(notification=n, sent_at=T0)
    assert body["event"] == str(NotificationKind.TAKEN_OVER) == "taken_over"
    assert (body["responder"], body["reason"], body["link"]) == (
        "ben",
        "I know this customer",
        LINK,
    )
    assert [r["id"] for r in body["responders"]] == ["ana"]
    assert body["dedup_key"] == "inc_abc"
    assert webhook_id(n).startswith("inc_abc.taken_over.")
    # Each take-over has its own time, so its own webhook-id.
    later = n.model_copy(update={"at": n.at.replace(second=n.at.second + 1)})
    assert webhook_id(later) != webhook_id(n)
