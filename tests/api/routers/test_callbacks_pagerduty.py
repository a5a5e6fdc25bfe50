"""POST /callbacks/pagerduty: signed v3 webhooks acknowledge, resolve and reassign as the
responder whose `pagerduty` id acted; anything signed is a 202, whatever came of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine

from smileback.api.app import create_app
from smileback.api.routers.callbacks_common import CHANNEL_CALLBACKS, Channels
from smileback.common.bus import InMemoryBus
from smileback.common.events import IncidentEventType
from tests.support.api_fixtures import TOKEN
from tests.support.callbacks_app import AUTH, callbacks_client, published
from tests.support.channels import pagerduty_headers, pagerduty_webhook

SECRET = "pd-webhook-secret-0123456789"
ONCALL = """\
version: 1
responders:
  sam: {name: Sam, slack: U012AB3CD, pagerduty: PLH1HKV}
  kim: {name: Kim, pagerduty: PTUXL6G}
"""


@pytest.fixture
def pd(engine: Engine, bus: InMemoryBus, tmp_path: Path) -> Iterator[TestClient]:
    with callbacks_client(
        engine=engine,
        bus=bus,
        tmp_path=tmp_path,
        oncall=ONCALL,
        channels=Channels(pagerduty_secret=SecretStr(SECRET)),
    ) as client:
        yield client


def _send(client: TestClient, body: bytes, *secrets: str) -> int:
    headers = pagerduty_headers(*(secrets or (SECRET,)), body=body)
    return client.post("/callbacks/pagerduty", content=body, headers=headers).status_code


def _count(outcome: str) -> float:
    return CHANNEL_CALLBACKS.labels(channel="pagerduty", outcome=outcome)._value.get()


def test_an_acknowledgement_in_pagerduty_claims_the_incident_for_its_responder(
    pd: TestClient, bus: InMemoryBus
) -> None:
    body = pagerduty_webhook(event_type="incident.acknowledged", incident_key="inc_1")
    assert _send(pd, body) == 202
    (event,) = published(bus)
    assert (event.type, event.responder, event.owner) == (
        IncidentEventType.ACKNOWLEDGED,
        "sam",
        "sam",
    )
    detail = pd.get("/v1/incidents/inc_1", headers=AUTH).json()
    assert (detail["status"], detail["acknowledged_by"]) == ("acknowledged", "sam")


def test_an_acknowledgement_of_a_reopened_incidents_page_claims_that_incident(
    pd: TestClient, bus: InMemoryBus
) -> None:
    # After a reopening the page's dedup key, which PagerDuty echoes as `incident_key`, is
    # `<incident id>#r<n>`.
    body = pagerduty_webhook(event_type="incident.acknowledged", incident_key="inc_1#r2")
    assert _send(pd, body) == 202
    (event,) = published(bus)
    assert (event.incident_id, event.type) == ("inc_1", IncidentEventType.ACKNOWLEDGED)


def test_resolved_and_reassigned_in_pagerduty(pd: TestClient, bus: InMemoryBus) -> None:
    reassigned = pagerduty_webhook(
        event_type="incident.reassigned", incident_key="inc_1", event_id="e-1"
    )
    assert _send(pd, reassigned) == 202
    # Kim holds it now: sam resolving it in PagerDuty is a conflict, kim resolving it is not.
    by_sam = pagerduty_webhook(event_type="incident.resolved", incident_key="inc_1", event_id="e-2")
    assert _send(pd, by_sam) == 202
    resolved = pagerduty_webhook(
        event_type="incident.resolved", incident_key="inc_1", agent="PTUXL6G", event_id="e-3"
    )
    assert _send(pd, resolved) == 202
    assign, resolve = published(bus)
    assert (assign.type, assign.responder, assign.owner) == (
        IncidentEventType.UPDATED,
        "sam",
        "kim",
    )
    assert assign.key_id == "pagerduty:PLH1HKV"  # the channel's user is the credential
    assert (resolve.type, resolve.responder, resolve.key_id) == (
        IncidentEventType.RESOLVED,
        "kim",
        "pagerduty:PTUXL6G",
    )


def test_several_signatures_during_a_secret_rotation(pd: TestClient, bus: InMemoryBus) -> None:
    body = pagerduty_webhook(event_type="incident.acknowledged", incident_key="inc_1")
    assert _send(pd, body, "the-old-secret", SECRET) == 202
    assert len(published(bus)) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-PagerDuty-Signature": ""},
        {"X-PagerDuty-Signature": "v1=" + "0" * 64},
        {"X-PagerDuty-Signature": "v2=whatever"},
    ],
)
def test_an_unsigned_or_badly_signed_delivery_is_401_and_does_nothing(
    pd: TestClient, bus: InMemoryBus, headers: dict[str, str]
) -> None:
    body = pagerduty_webhook(event_type="incident.acknowledged", incident_key="inc_1")
    response = pd.post("/callbacks/pagerduty", content=body, headers=headers)
    assert response.status_code == 401
    assert published(bus) == []


def test_a_body_changed_after_signing_is_401(pd: TestClient, bus: InMemoryBus) -> None:
    body = pagerduty_webhook(event_type="incident.resolved", incident_key="inc_1")
    headers = pagerduty_headers(SECRET, body=body)
    forged = body.replace(b"inc_1", b"inc_2")
    assert pd.post("/callbacks/pagerduty", content=forged, headers=headers).status_code == 401
    assert _send(pd, body, "not-the-secret") == 401
    assert published(bus) == []


def test_a_replayed_delivery_is_accepted_and_done_once(pd: TestClient, bus: InMemoryBus) -> None:
    before = _count("replayed")
    body = pagerduty_webhook(event_type="incident.resolved", incident_key="inc_1", event_id="r1")
    assert _send(pd, body) == 202
    # PagerDuty redelivers with the same event id: the second is not acted on at all.
    assert _send(pd, body) == 202
    assert len(published(bus)) == 1
    assert _count("replayed") == before + 1


_ACK = "incident.acknowledged"


@pytest.mark.parametrize(
    ("fields", "outcome"),
    [
        ({"event_type": _ACK, "incident_key": "inc_1", "agent": "PNOBODY"}, "unmapped_user"),
        ({"event_type": _ACK, "incident_key": "inc_404"}, "unknown_incident"),
        ({"event_type": _ACK, "incident_key": None}, "ignored"),
        ({"event_type": "incident.annotated", "incident_key": "inc_1"}, "ignored"),
        (
            {
                "event_type": "incident.resolved",
                "incident_key": "inc_1",
                "agent": "PSVC",
                "agent_type": "service_reference",  # our own Events v2 resolve, echoed
            },
            "ignored",
        ),
        (
            {
                "event_type": "incident.reassigned",
                "incident_key": "inc_1",
                "assignees": ("PNOBODY",),
            },
            "unmapped_user",
        ),
    ],
)
def test_what_cannot_be_done_is_still_a_202_logged_and_counted(
    pd: TestClient, bus: InMemoryBus, fields: dict[str, Any], outcome: str
) -> None:
    before = _count(outcome)
    assert _send(pd, pagerduty_webhook(**fields, event_id=f"{outcome}-{fields}")) == 202
    assert published(bus) == []
    assert _count(outcome) == before + 1


def test_a_pagerduty_ack_after_a_console_claim_is_a_conflict_not_a_takeover(
    pd: TestClient, bus: InMemoryBus
) -> None:
    claim = pd.post("/v1/incidents/inc_1/acknowledge", json={"on_behalf_of": "kim"}, headers=AUTH)
    assert claim.status_code == 200
    before = _count("conflict")
    body = pagerduty_webhook(event_type="incident.acknowledged", incident_key="inc_1")
    assert _send(pd, body) == 202
    assert [e.responder for e in published(bus)] == ["kim"]
    assert _count("conflict") == before + 1


def test_unsigned_garbage_is_401_and_signed_garbage_400(pd: TestClient) -> None:
    assert pd.post("/callbacks/pagerduty", content=b"{").status_code == 401
    assert _send(pd, b"{") == 400
    assert _send(pd, b'{"event": {}}') == 400


def test_without_its_secret_the_pagerduty_endpoint_does_not_exist(engine: Engine) -> None:
    with TestClient(create_app(engine=engine, api_token=TOKEN)) as client:
        body = pagerduty_webhook(event_type="incident.acknowledged", incident_key="inc_1")
        response = client.post(
            "/callbacks/pagerduty", content=body, headers=pagerduty_headers(SECRET, body=body)
        )
        assert response.status_code == 404
