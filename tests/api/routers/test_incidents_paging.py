"""The incident detail's paging section: who was paged, how it went, and the next escalation."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from smileback.common.events import IncidentEvent, IncidentEventType, PageDelivery, PageOutcome
from tests.support.builders import T0, incident_event
from tests.support.store import store_events

NEXT = T0 + timedelta(minutes=5)


def _notified(n: int, outcome: PageOutcome, *, minutes: int) -> IncidentEvent:
    delivery = PageDelivery(
        notifier="pagerduty",
        target="pagerduty",
        responders=["ana"],
        level=1,
        outcome=outcome,
        at=T0 + timedelta(minutes=minutes),
    )
    return incident_event(
        IncidentEventType.NOTIFIED, at=delivery.at, event_id=f"inc_1:notified:{n}"
    ).model_copy(update={"delivery": delivery})


def test_the_detail_shows_pages_and_the_next_escalation_until_acknowledged(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    paged = incident_event(IncidentEventType.PAGED).model_copy(
        update={"next_escalation_at": NEXT, "level": 1}
    )
    store_events(
        engine,
        [
            incident_event(IncidentEventType.OPENED),
            paged,
            _notified(1, PageOutcome.FAILED, minutes=1),
            _notified(2, PageOutcome.DELIVERED, minutes=2),
        ],
    )
    paging = client.get("/v1/incidents/inc_1", headers=auth).json()["paging"]
    assert [
        (p["outcome"], p["notifier"], p["responders"], p["level"]) for p in paging["pages"]
    ] == [
        ("failed", "pagerduty", ["ana"], 1),
        ("delivered", "pagerduty", ["ana"], 1),
    ]
    assert paging["pages"][-1]["at"].startswith((T0 + timedelta(minutes=2)).isoformat()[:19])
    assert paging["next_escalation_at"].startswith(NEXT.isoformat()[:19])

    store_events(engine, [incident_event(IncidentEventType.ACKNOWLEDGED, responder="ana", at=NEXT)])
    paging = client.get("/v1/incidents/inc_1", headers=auth).json()["paging"]
    assert paging["next_escalation_at"] is None
    assert len(paging["pages"]) == 2


def test_an_incident_never_paged_has_an_empty_paging_section(
    engine: Engine, client: TestClient, auth: dict[str, str]
) -> None:
    store_events(engine, [incident_event(IncidentEventType.OPENED)])
    paging = client.get("/v1/incidents/inc_1", headers=auth).json()["paging"]
    assert paging == {"pages": [], "next_escalation_at": None}
