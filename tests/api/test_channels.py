"""Signatures, replays, payloads and people of the PagerDuty and Slack callbacks (pure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from smileback.api.actions import ActionKind
from smileback.api.channels import (
    ChannelError,
    ReplayGuard,
    pagerduty_action,
    pagerduty_signature_ok,
    responder_by,
    slack_action,
    slack_response_url_ok,
    slack_signature_ok,
)
from smileback.common.errors import ConfigError
from smileback.common.oncall import load_oncall
from tests.support.channels import (
    pagerduty_headers,
    pagerduty_webhook,
    slack_headers,
    slack_interaction,
)

NOW = datetime(2025, 3, 1, 12, 7, tzinfo=UTC)
BODY = pagerduty_webhook(event_type="incident.acknowledged", incident_key="inc_1")


def _pd(*secrets: str, body: bytes = BODY) -> str:
    return pagerduty_headers(*secrets, body=body)["X-PagerDuty-Signature"]


def test_pagerduty_signatures() -> None:
    assert pagerduty_signature_ok(secret=b"s", body=BODY, header=_pd("s"))
    assert pagerduty_signature_ok(secret=b"s", body=BODY, header=_pd("old", "s"))
    assert pagerduty_signature_ok(secret=b"s", body=BODY, header=_pd("s", "new").replace(",", ", "))
    assert not pagerduty_signature_ok(secret=b"s", body=BODY, header=_pd("other"))
    assert not pagerduty_signature_ok(secret=b"s", body=BODY + b" ", header=_pd("s"))
    assert not pagerduty_signature_ok(secret=b"s", body=BODY, header=_pd("s").replace("v1", "v0"))
    assert not pagerduty_signature_ok(secret=b"s", body=BODY, header=None)


def test_slack_signatures_hold_for_five_minutes_either_way() -> None:
    body = slack_interaction(action_id="smileback_resolve", incident_id="inc_1")

    def ok(at: datetime, now: datetime = NOW, secret: bytes = b"s") -> bool:
        headers = slack_headers("s", body=body, at=at)
        return slack_signature_ok(
            secret=secret,
            body=body,
            timestamp=headers["X-Slack-Request-Timestamp"],
            header=headers["X-Slack-Signature"],
            now=now,
        )

    assert ok(NOW)
    assert ok(NOW - timedelta(minutes=5))
    assert ok(NOW + timedelta(minutes=5))
    assert not ok(NOW - timedelta(minutes=5, seconds=1))
    assert not ok(NOW + timedelta(minutes=5, seconds=1))
    assert not ok(NOW, secret=b"t")


def test_the_replay_guard_forgets_after_its_window_and_beyond_its_capacity() -> None:
    guard = ReplayGuard(window=timedelta(minutes=10), capacity=2)
    assert guard.first_time("a", now=NOW)
    assert not guard.first_time("a", now=NOW + timedelta(minutes=10))
    assert guard.first_time("a", now=NOW + timedelta(minutes=20, seconds=1))
    assert guard.first_time("b", now=NOW + timedelta(minutes=21))
    assert guard.first_time("c", now=NOW + timedelta(minutes=21))  # "a" makes room
    assert guard.first_time("a", now=NOW + timedelta(minutes=21))
    guard.forget("a")
    assert guard.first_time("a", now=NOW + timedelta(minutes=21))


def test_pagerduty_payloads() -> None:
    event_id, action = pagerduty_action(BODY)
    assert event_id == "5ac64822-4adc-4fda-ade0-410becf0de4f"
    assert action is not None
    assert (action.incident_id, action.kind, action.user) == (
        "inc_1",
        ActionKind.ACKNOWLEDGE,
        "PLH1HKV",
    )
    reassigned = pagerduty_webhook(
        event_type="incident.reassigned", incident_key="inc_1", assignees=("PA", "PB")
    )
    _, action = pagerduty_action(reassigned)
    assert action is not None
    assert (action.kind, action.owner_user) == (ActionKind.ASSIGN, "PA")
    _, nobody = pagerduty_action(
        pagerduty_webhook(event_type="incident.reassigned", incident_key="inc_1", assignees=())
    )
    assert nobody is None
    for bad in (b"[]", b"{", b'{"event": {"event_type": "incident.resolved"}}', b"\xff"):
        with pytest.raises(ChannelError):
            pagerduty_action(bad)


def test_slack_payloads() -> None:
    action = slack_action(
        slack_interaction(action_id="smileback_take_over", incident_id="inc_9", user="U0KIM")
    )
    assert action is not None
    assert (action.incident_id, action.kind, action.user, action.owner_user) == (
        "inc_9",
        ActionKind.TAKE_OVER,
        "U0KIM",
        None,
    )
    assert action.response_url == "https://hooks.slack.com/actions/T0/1/XXXX"
    no_user = {"type": "block_actions", "actions": []}
    with pytest.raises(ChannelError):
        slack_action(b"payload=" + json.dumps(no_user).encode())
    with pytest.raises(ChannelError):
        slack_action(b"payload=%7B")


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://hooks.slack.com/actions/T0/1/X", True),
        ("https://HOOKS.slack.com/actions/T0/1/X", True),
        ("http://hooks.slack.com/actions/T0/1/X", False),
        ("https://hooks.slack.com.evil.example/", False),
        ("https://evil.example/?https://hooks.slack.com/", False),
        ("https://hooks.slack.com:444/actions", False),
        ("https://x@evil.example#@hooks.slack.com/", False),
        ("//hooks.slack.com/actions", False),
        ("javascript:alert(1)", False),
    ],
)
def test_only_hooks_slack_com_is_called_back(url: str, ok: bool) -> None:
    assert slack_response_url_ok(url) is ok


def test_responders_by_their_pagerduty_and_slack_ids(tmp_path: Path) -> None:
    path = tmp_path / "oncall.yaml"
    path.write_text(
        "responders:\n  sam: {slack: U012AB3CD, pagerduty: PLH1HKV}\n  kim: {pagerduty: PKIM}\n"
    )
    oncall = load_oncall(path)
    assert responder_by(oncall, pagerduty="PLH1HKV").id == "sam"  # type: ignore[union-attr]
    assert responder_by(oncall, slack="U012AB3CD").id == "sam"  # type: ignore[union-attr]
    assert responder_by(oncall, pagerduty="PKIM").id == "kim"  # type: ignore[union-attr]
    assert responder_by(oncall, slack="PKIM") is None
    assert responder_by(oncall) is None
    path.write_text("responders:\n  sam: {pagerduty: [PLH1HKV]}\n")
    with pytest.raises(ConfigError, match="pagerduty"):
        load_oncall(path)
