"""A reopened incident in the store: open again, unclaimed, its earlier owner in the timeline."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from smileback.api.store import IncidentEventRow, IncidentRow, apply_incident_event
from smileback.common.events import IncidentEvent, IncidentEventType, Severity
from tests.support.builders import T0, incident_event


def _apply(engine: Engine, events: list[IncidentEvent]) -> None:
    with Session(engine) as session, session.begin():
        for event in events:
            assert apply_incident_event(session=session, event=event)


def test_a_reopened_incident_is_open_unclaimed_and_unresolved_again(engine: Engine) -> None:
    later = T0 + timedelta(hours=2)
    reopened = incident_event(
        IncidentEventType.REOPENED,
        mention_id="m9",
        at=later,
        mention_count=3,
        severity=Severity.WARNING,
        summary="again",
    )
    _apply(
        engine,
        [
            incident_event(IncidentEventType.OPENED),
            incident_event(IncidentEventType.PAGED),
            incident_event(IncidentEventType.ACKNOWLEDGED, responder="sam"),
            incident_event(IncidentEventType.RESOLVED, responder="sam"),
            reopened.model_copy(update={"note": "kept open: flapping"}),
        ],
    )
    with Session(engine) as session:
        row = session.get(IncidentRow, "inc_1")
        assert row is not None
        assert (row.status, row.severity, row.summary, row.mention_count) == (
            "open",
            "warning",
            "again",
            3,
        )
        assert (row.owner, row.acknowledged_by, row.resolved_by, row.resolved_at) == (
            None,
            None,
            None,
            None,
        )
        kinds = session.scalars(select(IncidentEventRow.type).order_by(IncidentEventRow.at)).all()
        assert kinds[-1] == "reopened"
        stored = session.scalars(
            select(IncidentEventRow.payload).where(IncidentEventRow.type == "reopened")
        ).one()
        assert stored["note"] == "kept open: flapping"
