"""Slack incoming webhook: a Block Kit message within Slack's limits, escaped, with links."""

from __future__ import annotations

import json

import httpx
import pytest
from pydantic import SecretStr

from smileback.alerts.notifiers import (
    NotificationKind,
    NotifyError,
    ResponderRef,
    SlackNotifier,
    slack_message,
)
from tests.alerts.factory import HOSTILE, hostile_notification, notification
from tests.support.formats import check_slack_message

URL = SecretStr("https://hooks.slack.com/services/T000/B000/XXXXSECRET")
CONSOLE = "https://console.example/incidents/inc_abc"
ESCAPED = "&lt;!channel&gt; &lt;javascript:alert(1)|click here&gt; &amp;amp; &lt;@U0BOSS&gt;"
UNSAFE_LINKS = [
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "http://social.example/@loud/1",
    "/@loud/1",
    "//evil.example/x",
    "https://social.example@evil.example/x",
    "https://social.example/1\n<!channel>",
    "https://social.example/\u202e1",
    "https:///x",
    "https://social.example/" + "a" * 3000,
]


def texts(message: dict) -> list[str]:
    """Every text Slack renders from the message: the fallback and each block's texts."""
    found = [message["text"]]

    def walk(value: object) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("text"), str):
                found.append(value["text"])
            for child in value.values():
                walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)

    walk(message["blocks"])
    return found


def test_trigger_is_a_valid_block_kit_message_with_the_packet() -> None:
    n = notification(link="https://console.example/incidents/inc_abc")
    message = slack_message(notification=n)
    assert check_slack_message(message) == []
    assert message["text"] == n.summary
    kinds = [b["type"] for b in message["blocks"]]
    assert kinds == ["header", "section", "section", "section", "section", "context", "actions"]
    text = json.dumps(message)
    # The post's text is escaped for mrkdwn; who, why, thread and similar are fields.
    assert "Lost my order &lt;again&gt; &amp; again" in text
    fields = [f["text"] for f in message["blocks"][3]["fields"]]
    assert [f.split("\n")[0] for f in fields] == [
        "*Who*",
        "*Why*",
        "*Thread*",
        "*Similar, last 60 min*",
    ]
    assert "<@U1>" in message["blocks"][5]["elements"][0]["text"]
    assert [b["url"] for b in message["blocks"][6]["elements"] if "url" in b] == [
        n.post_url,
        "https://console.example/incidents/inc_abc",
    ]
    assert "How to answer" in text


def test_huge_texts_stay_within_block_kit_limits() -> None:
    n = notification(summary="s" * 5000, brand="b" * 400)
    assert n.packet is not None
    packet = n.packet.model_copy(
        update={"what": n.packet.what.model_copy(update={"text": "t" * 10_000})}
    )
    assert (
        check_slack_message(slack_message(notification=n.model_copy(update={"packet": packet})))
        == []
    )


@pytest.mark.parametrize("kind", ["acknowledge", "resolve"])
def test_follow_ups_are_short_messages(kind: str) -> None:
    message = slack_message(notification=notification(kind, responder="ana"))
    assert check_slack_message(message) == []
    assert "by ana" in message["text"]
    assert len(message["blocks"]) == 1


@pytest.mark.parametrize(
    ("status", "permanent"), [(200, None), (429, False), (500, False), (400, True), (404, True)]
)
def test_statuses(status: int, permanent: bool | None) -> None:
    client = httpx.Client(
        transport=httpx.MockTransport(lambda r: httpx.Response(status, text="invalid_payload"))
    )
    notifier = SlackNotifier(url=URL, client=client)
    if permanent is None:
        notifier.send(notification=notification())
        return
    with pytest.raises(NotifyError) as info:
        notifier.send(notification=notification())
    assert info.value.permanent is permanent
    assert "XXXXSECRET" not in str(info.value)
    assert "XXXXSECRET" not in repr(notifier)


def test_hostile_post_text_is_escaped_everywhere_it_goes() -> None:
    n = hostile_notification(
        url="https://social.example/@loud/1",
        link=CONSOLE,
        responders=[
            ResponderRef(id="ana", name="Ana", slack="U1"),
            ResponderRef(id="eve", name="<!here> Eve", slack="U2> <!channel"),
        ],
    )
    message = slack_message(notification=n)
    assert check_slack_message(message) == []
    assert ESCAPED in message["text"]  # the notification's fallback, too
    for text in texts(message):
        # Our one piece of markup is a real member id; nothing from the post survives as `<`.
        assert "<" not in text.replace("<@U1>", ""), text
    assert "&lt;!here&gt; Eve" in json.dumps(message)
    assert sum(ESCAPED in t for t in texts(message)) >= 6  # summary, post, who, why, thread...


@pytest.mark.parametrize("kind", ["acknowledge", "resolve"])
def test_follow_ups_escape_the_actor_and_summary(kind: str) -> None:
    n = hostile_notification(url=None, responder=HOSTILE, kind=NotificationKind(kind), level=None)
    message = slack_message(notification=n)
    for text in texts(message):
        assert "<" not in text, text


@pytest.mark.parametrize("url", UNSAFE_LINKS)
def test_a_post_link_that_is_not_https_gets_no_button(url: str) -> None:
    message = slack_message(notification=hostile_notification(url=url, link=CONSOLE))
    (actions,) = [b for b in message["blocks"] if b["type"] == "actions"]
    assert [(b["text"]["text"], b["url"]) for b in actions["elements"] if "url" in b] == [
        ("Open the incident", CONSOLE)
    ]
    assert check_slack_message(message) == []


def test_an_https_post_link_gets_its_button() -> None:
    message = slack_message(notification=hostile_notification(url="https://social.example/@l/1"))
    (actions,) = [b for b in message["blocks"] if b["type"] == "actions"]
    assert [b["url"] for b in actions["elements"] if "url" in b] == ["https://social.example/@l/1"]


def test_the_page_has_acknowledge_take_over_and_resolve_buttons() -> None:
    n = notification(link=CONSOLE)
    message = slack_message(notification=n)
    assert check_slack_message(message) == []
    (actions,) = [b for b in message["blocks"] if b["type"] == "actions"]
    answers = [b for b in actions["elements"] if "action_id" in b]
    assert [(b["action_id"], b["text"]["text"], b["value"]) for b in answers] == [
        ("smileback_acknowledge", "Acknowledge", n.incident_id),
        ("smileback_take_over", "Take over", n.incident_id),
        ("smileback_resolve", "Resolve", n.incident_id),
    ]
    for button in answers:  # Block Kit: a button has a url or a value, plain_text under 75
        assert button["type"] == "button"
        assert "url" not in button
        assert button["text"]["type"] == "plain_text"
        assert len(button["text"]["text"]) <= 75
        assert button.get("style") in (None, "primary", "danger")
    assert len(actions["elements"]) <= 25


def test_an_incident_id_too_long_for_a_button_value_gets_no_action_buttons() -> None:
    n = notification().model_copy(update={"incident_id": "i" * 2001})
    (actions,) = [b for b in slack_message(notification=n)["blocks"] if b["type"] == "actions"]
    assert not [b for b in actions["elements"] if "action_id" in b]


@pytest.mark.parametrize("kind", ["acknowledge", "resolve"])
def test_follow_ups_have_no_buttons(kind: str) -> None:
    n = notification().model_copy(update={"kind": NotificationKind(kind)})
    assert "action_id" not in json.dumps(slack_message(notification=n))
