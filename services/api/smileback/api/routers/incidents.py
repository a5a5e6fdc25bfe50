"""Incidents, newest first, and one incident with its timeline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from smileback.api.deps import SessionDep, require_token
from smileback.api.errors import ERROR_RESPONSES, ApiError
from smileback.api.pagination import newest_first, split_page
from smileback.api.schemas import IncidentDetail, IncidentEventOut, IncidentOut, Page
from smileback.api.store import IncidentEventRow, IncidentRow, IncidentStatus
from smileback.common.events import Severity

__all__ = ["router"]

router = APIRouter(
    prefix="/v1/incidents",
    tags=["incidents"],
    dependencies=[Depends(require_token)],
    responses=ERROR_RESPONSES,
)


@router.get("", response_model=Page[IncidentOut])
def list_incidents(
    session: SessionDep,
    status: IncidentStatus | None = None,
    severity: Severity | None = None,
    brand: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
) -> Page[IncidentOut]:
    """Incidents matching every given filter, most recently opened first."""
    query = select(IncidentRow)
    if status is not None:
        query = query.where(IncidentRow.status == str(status))
    if severity is not None:
        query = query.where(IncidentRow.severity == str(severity))
    if brand is not None:
        query = query.where(IncidentRow.brand == brand)
    query = newest_first(
        query, at=IncidentRow.opened_at, id_=IncidentRow.id, cursor=cursor, limit=limit
    )
    rows, next_cursor = split_page(
        session.scalars(query).all(), limit=limit, key=lambda row: (row.opened_at, row.id)
    )
    return Page[IncidentOut](
        items=[IncidentOut.model_validate(row) for row in rows], next_cursor=next_cursor
    )


@router.get("/{incident_id:path}", response_model=IncidentDetail)
def get_incident(incident_id: str, session: SessionDep) -> IncidentDetail:
    """One incident with its context and its events, oldest first."""
    row = session.get(IncidentRow, incident_id)
    if row is None:
        raise ApiError(status=404, code="not_found", message=f"no incident {incident_id!r}")
    events = session.scalars(
        select(IncidentEventRow)
        .where(IncidentEventRow.incident_id == incident_id)
        .order_by(IncidentEventRow.at, IncidentEventRow.event_id)
    ).all()
    timeline = [
        IncidentEventOut.model_validate(
            {
                "event_id": event.event_id,
                "type": event.type,
                "at": event.at,
                "mention_id": event.payload.get("mention_id"),
                "severity": event.payload.get("severity"),
                "actor": event.payload.get("actor"),
            }
        )
        for event in events
    ]
    summary = IncidentOut.model_validate(row).model_dump()
    return IncidentDetail.model_validate({**summary, "context": row.context, "timeline": timeline})
