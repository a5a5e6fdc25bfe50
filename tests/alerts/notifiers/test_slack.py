"""Slack incoming webhook: a Block Kit message within Slack's limits, escaped, with links."""

from __future__ import annotations

import json

import httpx
import pytest
from pydantic import SecretStr

from smileback.alerts.notifiers import NotifyError, SlackNotifier, slack_message
from tests.alerts.factory import notification
from tests.support.formats import check_slack_message

URL = SecretStr("https://hooks.slack.com/services/T000/B000/XXXXSECRET")


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
    assert [b["url"] for b in message["blocks"][6]["elements"]] == [
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
    message = slack_message(notification=notification(kind, actor="ana"))
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
