"""A reopened incident in the API: open and unclaimed, its timeline says what happened."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from smileback.common.events import IncidentEventType
from tests.support.builders import T0, incident_event
from tests.support.store import store_events


def test_the_detail_of_a_flapping_reopened_incident(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    reopened = incident_event(
        IncidentEventType.REOPENED, mention_id="m2", at=T0 + timedelta(hours=1)
    )
    store_events(
        engine,
        [
            incident_event(IncidentEventType.OPENED),
            incident_event(IncidentEventType.RESOLVED, responder="sam"),
            reopened.model_copy(update={"note": "kept open: flapping"}),
        ],
    )
    body = client.get("/v1/incidents/inc_1", headers=auth).json()
    assert (body["status"], body["resolved_by"]) == ("open", None)
    last = body["timeline"][-1]
    assert (last["type"], last["note"]) == ("reopened", "kept open: flapping")
