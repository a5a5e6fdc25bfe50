"""POST /callbacks/slack: the page's buttons act as the responder whose `slack` id clicked;
the message is updated through response_url (hooks.slack.com only) after the answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine

from smileback.api.app import create_app
from smileback.api.routers.callbacks_common import Channels
from smileback.common.bus import InMemoryBus
from smileback.common.events import IncidentEventType
from tests.support.api_fixtures import TOKEN
from tests.support.callbacks_app import AUTH, NOW, callbacks_client, published
from tests.support.channels import slack_headers, slack_interaction

SECRET = "slack-signing-secret-0123456789"
ONCALL = """\
version: 1
responders:
  sam: {name: Sam <the boss>, slack: U012AB3CD}
  kim: {name: Kim, slack: U0KIM}
"""


def _button(text: str, **fields: str) -> dict[str, object]:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, **fields}


PAGE = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "acme: a complaint"}},
    {
        "type": "actions",
        "elements": [
            *(
                _button(a, action_id=a, value="inc_1")
                for a in ("smileback_acknowledge", "smileback_take_over", "smileback_resolve")
            ),
            _button("Open", url="https://console.example/incidents/inc_1"),
        ],
    },
]


@pytest.fixture
def posted() -> list[httpx.Request]:
    return []


@pytest.fixture
def slack(
    engine: Engine, bus: InMemoryBus, tmp_path: Path, posted: list[httpx.Request]
) -> Iterator[TestClient]:

    def answer(request: httpx.Request) -> httpx.Response:
        posted.append(request)
        return httpx.Response(200, text="ok")

    with callbacks_client(
        engine=engine,
        bus=bus,
        tmp_path=tmp_path,
        oncall=ONCALL,
        channels=Channels(
            slack_secret=SecretStr(SECRET),
            slack_client=httpx.Client(transport=httpx.MockTransport(answer)),
        ),
    ) as client:
        yield client


def _click(client: TestClient, body: bytes, *, at: timedelta = timedelta(0)) -> int:
    headers = slack_headers(SECRET, body=body, at=NOW + at)
    return client.post("/callbacks/slack", content=body, headers=headers).status_code


def test_acknowledge_claims_it_and_the_page_says_who(
    slack: TestClient, bus: InMemoryBus, posted: list[httpx.Request]
) -> None:
    body = slack_interaction(action_id="smileback_acknowledge", incident_id="inc_1", blocks=PAGE)
    assert _click(slack, body) == 200
    (event,) = published(bus)
    assert (event.type, event.responder) == (IncidentEventType.ACKNOWLEDGED, "sam")
    detail = slack.get("/v1/incidents/inc_1", headers=AUTH).json()
    assert (detail["status"], detail["acknowledged_by"]) == ("acknowledged", "sam")
    (update,) = posted
    assert str(update.url) == "https://hooks.slack.com/actions/T0/1/XXXX"
    message = json.loads(update.content)
    assert message["replace_original"] is True
    assert message["text"] == "Acknowledged by Sam &lt;the boss&gt;"  # mrkdwn: escaped
    assert message["blocks"][0] == PAGE[0]
    buttons = [e.get("action_id") for e in message["blocks"][1]["elements"]]
    assert buttons == ["smileback_take_over", "smileback_resolve", None]
    assert message["blocks"][-1] == {
        "type": "context",
        "elements": [{"type": "plain_text", "text": "Acknowledged by Sam <the boss>"}],
    }


def test_take_over_and_resolve(
    slack: TestClient, bus: InMemoryBus, posted: list[httpx.Request]
) -> None:
    ack = slack_interaction(action_id="smileback_acknowledge", incident_id="inc_1")
    assert _click(slack, ack) == 200
    take = slack_interaction(action_id="smileback_take_over", incident_id="inc_1", user="U0KIM")
    assert _click(slack, take) == 200
    done = slack_interaction(
        action_id="smileback_resolve", incident_id="inc_1", blocks=PAGE, user="U0KIM"
    )
    assert _click(slack, done, at=timedelta(seconds=1)) == 200
    _, take_over, resolve = published(bus)
    assert (take_over.type, take_over.responder, take_over.owner) == (
        IncidentEventType.UPDATED,
        "kim",
        "kim",
    )
    assert take_over.action is not None
    assert (take_over.action.kind, take_over.action.previous_owner) == ("take_over", "sam")
    assert take_over.action.reason == "taken over from slack"
    assert take_over.key_id == "slack:U0KIM"
    assert (resolve.type, resolve.responder) == (IncidentEventType.RESOLVED, "kim")
    last = json.loads(posted[-1].content)
    assert [b["type"] for b in last["blocks"]] == ["section", "actions", "context"]
    assert all("action_id" not in e for e in last["blocks"][1]["elements"])


def test_the_second_to_acknowledge_is_told_privately_who_has_it(
    slack: TestClient, bus: InMemoryBus, posted: list[httpx.Request]
) -> None:
    assert slack.post(
        "/v1/incidents/inc_1/acknowledge", json={"on_behalf_of": "kim"}, headers=AUTH
    ).is_success
    body = slack_interaction(action_id="smileback_acknowledge", incident_id="inc_1")
    assert _click(slack, body) == 200
    assert [e.responder for e in published(bus)] == ["kim"]
    notice = json.loads(posted[-1].content)
    assert (notice["response_type"], notice["replace_original"]) == ("ephemeral", False)
    assert "claimed by kim" in notice["text"]


def test_an_unknown_slack_user_changes_nothing_and_is_told(
    slack: TestClient, bus: InMemoryBus, posted: list[httpx.Request]
) -> None:
    body = slack_interaction(action_id="smileback_acknowledge", incident_id="inc_1", user="U0WHO")
    assert _click(slack, body) == 200
    assert published(bus) == []
    notice = json.loads(posted[-1].content)
    assert notice["response_type"] == "ephemeral"
    assert "does not know your Slack account" in notice["text"]


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/actions/1",
        "http://hooks.slack.com/actions/1",
        "https://hooks.slack.com.evil.example/actions/1",
        "https://hooks.slack.com:8443/actions/1",
        "https://user@evil.example/@hooks.slack.com/",
    ],
)
def test_the_message_is_updated_only_at_hooks_slack_com(
    slack: TestClient, bus: InMemoryBus, posted: list[httpx.Request], url: str
) -> None:
    body = slack_interaction(
        action_id="smileback_acknowledge", incident_id="inc_1", response_url=url
    )
    assert _click(slack, body) == 200
    assert len(published(bus)) == 1  # the click still counts
    assert posted == []


@pytest.mark.parametrize(
    "skew", [timedelta(minutes=-5, seconds=-1), timedelta(minutes=5, seconds=1)]
)
def test_a_stale_or_future_timestamp_is_401(
    slack: TestClient, bus: InMemoryBus, skew: timedelta
) -> None:
    body = slack_interaction(action_id="smileback_acknowledge", incident_id="inc_1")
    assert _click(slack, body, at=skew) == 401
    assert published(bus) == []


def test_bad_signatures_are_401(slack: TestClient, bus: InMemoryBus) -> None:
    body = slack_interaction(action_id="smileback_resolve", incident_id="inc_1")
    good = slack_headers(SECRET, body=body, at=NOW)
    wrong = slack_headers("not-the-secret", body=body, at=NOW)
    for headers in (
        {},
        {**good, "X-Slack-Signature": wrong["X-Slack-Signature"]},
        {**good, "X-Slack-Request-Timestamp": str(int(NOW.timestamp()) + 1)},
        {**good, "X-Slack-Request-Timestamp": "soon"},
    ):
        assert slack.post("/callbacks/slack", content=body, headers=headers).status_code == 401
    forged = body.replace(b"smileback_resolve", b"smileback_acknowledge")
    assert slack.post("/callbacks/slack", content=forged, headers=good).status_code == 401
    assert published(bus) == []


def test_a_replayed_click_is_not_acted_on_again(
    slack: TestClient, bus: InMemoryBus, posted: list[httpx.Request]
) -> None:
    body = slack_interaction(action_id="smileback_acknowledge", incident_id="inc_1")
    headers = slack_headers(SECRET, body=body, at=NOW)
    assert slack.post("/callbacks/slack", content=body, headers=headers).status_code == 200
    assert slack.post("/callbacks/slack", content=body, headers=headers).status_code == 200
    assert len(published(bus)) == 1
    assert len(posted) == 1


def test_link_buttons_and_other_interactions_are_ignored(
    slack: TestClient, bus: InMemoryBus, posted: list[httpx.Request]
) -> None:
    link = slack_interaction(action_id="WaXA", incident_id="inc_1")
    assert _click(slack, link) == 200
    assert (
        _click(slack, b"payload=" + b'{"type": "view_submission"}', at=timedelta(seconds=1)) == 200
    )
    assert _click(slack, b"nonsense", at=timedelta(seconds=2)) == 400
    assert (published(bus), posted) == ([], [])


def test_without_its_secret_the_slack_endpoint_does_not_exist(engine: Engine) -> None:
    with TestClient(create_app(engine=engine, api_token=TOKEN)) as client:
        body = slack_interaction(action_id="smileback_acknowledge", incident_id="inc_1")
        headers = slack_headers(SECRET, body=body, at=NOW)
        assert client.post("/callbacks/slack", content=body, headers=headers).status_code == 404
