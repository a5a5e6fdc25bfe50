"""An incident's timeline is bounded in its detail and paged in full from /timeline."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from smileback.api.routers.incidents import TIMELINE_EVENTS
from smileback.common.events import IncidentEventType, ResponderAction
from tests.support.builders import T0, incident_event, quoting_packet, scored
from tests.support.store import store_events

NOTES = 250


def _busy_incident(engine: Engine) -> None:
    store_events(
        engine,
        [
            incident_event(IncidentEventType.OPENED, packet=quoting_packet(scored("m1"))),
            *(
                incident_event(
                    IncidentEventType.UPDATED,
                    at=T0 + timedelta(seconds=i + 1),
                    event_id=f"inc_1:note:{i:04d}",
                    action=ResponderAction(kind="note", note=f"note {i} " + "x" * 2000),
                    responder="sam",
                )
                for i in range(NOTES)
            ),
        ],
    )


def test_the_detail_shows_the_newest_events_and_pages_to_the_rest(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    _busy_incident(engine)
    detail = client.get("/v1/incidents/inc_1", headers=auth)
    assert detail.status_code == 200
    # 250 notes of 2 kB: the detail stays near TIMELINE_EVENTS of them, not all.
    assert len(detail.content) < (TIMELINE_EVENTS + 20) * 2100
    body = detail.json()
    shown = [event["note"] for event in body["timeline"]]
    assert len(shown) == TIMELINE_EVENTS
    # The newest ones, oldest first, the last note last.
    assert shown[0].startswith(f"note {NOTES - TIMELINE_EVENTS} ")
    assert shown[-1].startswith(f"note {NOTES - 1} ")
    older: list[str] = []
    cursor = body["timeline_next_cursor"]
    while cursor is not None:
        page = client.get(
            "/v1/incidents/inc_1/timeline", params={"cursor": cursor, "limit": 40}, headers=auth
        )
        assert page.status_code == 200, page.text
        older += [event["event_id"] for event in page.json()["items"]]
        assert page.json()["total"] == NOTES + 1  # the notes and the opening event
        cursor = page.json()["next_cursor"]
    expected = [f"inc_1:note:{i:04d}" for i in reversed(range(NOTES - TIMELINE_EVENTS))]
    assert older[:-1] == expected  # newest first, then the opening event
    assert len(older) == NOTES - TIMELINE_EVENTS + 1


def test_a_short_timeline_is_whole_in_the_detail(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    store_events(engine, [incident_event(IncidentEventType.OPENED)])
    body = client.get("/v1/incidents/inc_1", headers=auth).json()
    assert [event["type"] for event in body["timeline"]] == ["opened"]
    assert body["timeline_next_cursor"] is None
    page = client.get("/v1/incidents/inc_1/timeline", headers=auth).json()
    assert [event["type"] for event in page["items"]] == ["opened"]
    assert (page["total"], page["next_cursor"]) == (1, None)


def test_the_timeline_of_an_unknown_incident_is_a_404(
    client: TestClient, auth: dict[str, str]
) -> None:
    response = client.get("/v1/incidents/nope/timeline", headers=auth)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
