"""PagerDuty Events API v2: payloads per the spec; 429 and 5xx retried, other 4xx dead."""

from __future__ import annotations

import json

import httpx
import pytest
from pydantic import SecretStr

from smileback.alerts.notifiers import NotifyError, PagerDutyNotifier, pagerduty_event
from tests.alerts.factory import hostile_notification, notification
from tests.support.formats import check_pagerduty_event

KEY = "R0UTINGKEY0123456789abcdefABCDEF"


def test_trigger_event_follows_the_spec() -> None:
    n = notification(pagerduty_severity="error", link="https://console.example/incidents/inc_abc")
    event = pagerduty_event(notification=n, routing_key=KEY)
    assert check_pagerduty_event(event, routing_key=KEY) == []
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == "inc_abc"
    payload = event["payload"]
    assert payload["summary"] == n.summary
    assert payload["source"] == "smileback:acme"
    assert payload["severity"] == "error"
    assert payload["timestamp"] == "2025-03-01T12:00:00+00:00"
    assert (payload["group"], payload["class"], payload["component"]) == (
        "acme",
        "large_audience_complaint",
        "mastodon",
    )
    details = payload["custom_details"]
    assert details["who"]["handle"] == "@loud"
    assert details["guide"]
    assert (details["level"], details["responders"]) == (1, ["Ana"])
    assert [link["text"] for link in event["links"]] == ["The post", "Incident in Smileback"]
    assert event["client_url"] == "https://console.example/incidents/inc_abc"


@pytest.mark.parametrize("kind", ["acknowledge", "resolve"])
def test_acknowledge_and_resolve_carry_only_the_keys(kind: str) -> None:
    event = pagerduty_event(notification=notification(kind, responder="ana"), routing_key=KEY)
    assert event == {"routing_key": KEY, "event_action": kind, "dedup_key": "inc_abc"}
    assert check_pagerduty_event(event, routing_key=KEY) == []


def test_summary_is_cut_to_1024_chars() -> None:
    event = pagerduty_event(notification=notification(summary="x" * 5000), routing_key=KEY)
    assert len(event["payload"]["summary"]) == 1024


def send_with(
    status: int, body: object = None, headers: dict[str, str] | None = None
) -> NotifyError | list[httpx.Request]:
    seen: list[httpx.Request] = []

    def app(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=body, headers=headers)

    notifier = PagerDutyNotifier(
        routing_key=SecretStr(KEY), client=httpx.Client(transport=httpx.MockTransport(app))
    )
    try:
        notifier.send(notification=notification())
    except NotifyError as exc:
        return exc
    return seen


def test_accepted_event_is_posted_as_json_to_the_enqueue_url() -> None:
    seen = send_with(
        202, {"status": "success", "message": "Event processed", "dedup_key": "inc_abc"}
    )
    assert isinstance(seen, list)
    (request,) = seen
    assert str(request.url) == "https://events.pagerduty.com/v2/enqueue"
    assert check_pagerduty_event(json.loads(request.content), routing_key=KEY) == []


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_rate_limit_and_server_errors_are_retried(status: int) -> None:
    error = send_with(status, headers={"Retry-After": "3"})
    assert isinstance(error, NotifyError)
    assert not error.permanent
    assert error.retry_after_s == 3.0


def test_invalid_event_is_dead_lettered_with_pagerdutys_reason() -> None:
    error = send_with(
        400,
        {
            "status": "invalid event",
            "message": "Event object is invalid",
            "errors": ["Length of 'routing_key' is incorrect"],
        },
    )
    assert isinstance(error, NotifyError)
    assert error.permanent
    assert "HTTP 400" in str(error)
    assert "Length of 'routing_key' is incorrect" in str(error)
    assert KEY not in str(error)


def test_routing_key_never_shows_in_repr() -> None:
    notifier = PagerDutyNotifier(routing_key=SecretStr(KEY), url="http://127.0.0.1:9/enqueue")
    assert KEY not in repr(notifier)
    notifier.close()


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "http://social.example/@loud/1",
        "/@loud/1",
        "https://social.example@evil.example/x",
    ],
)
def test_only_an_https_post_link_becomes_a_link(url: str) -> None:
    console = "https://console.example/incidents/inc_abc"
    event = pagerduty_event(
        notification=hostile_notification(url=url, link=console), routing_key=KEY
    )
    assert check_pagerduty_event(event, routing_key=KEY) == []
    assert event["links"] == [{"href": console, "text": "Incident in Smileback"}]
    safe = hostile_notification(url="https://social.example/@loud/1")
    links = pagerduty_event(notification=safe, routing_key=KEY)["links"]
    assert links == [{"href": "https://social.example/@loud/1", "text": "The post"}]
