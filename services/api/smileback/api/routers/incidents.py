"""Incidents, newest first, and one incident with its context, timeline and thread."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.orm import Session

from smileback.api.deps import READ, SessionDep
from smileback.api.errors import ApiError, documented
from smileback.api.pagination import newest_first, split_page
from smileback.api.params import Cursor, Limit, Word
from smileback.api.schemas import IncidentDetail, IncidentEventOut, IncidentOut, MentionOut, Page
from smileback.api.store import IncidentEventRow, IncidentRow, IncidentStatus, MentionRow
from smileback.api.store.queries import IncidentFilter, incident_query
from smileback.common.events import Severity

__all__ = ["get_incident", "incident_detail", "list_incidents", "router"]

_THREAD_MENTIONS = 20

router = APIRouter(prefix="/v1/incidents", tags=["incidents"], dependencies=[Depends(READ)])


@router.get("", response_model=Page[IncidentOut], responses=documented())
def list_incidents(
    session: SessionDep,
    status: IncidentStatus | None = None,
    severity: Severity | None = None,
    brand: Word = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[IncidentOut]:
    """Incidents matching every given filter, most recently opened first."""
    query = incident_query(
        IncidentFilter(
            status=str(status) if status else None,
            severity=str(severity) if severity else None,
            brand=brand,
        )
    )
    query = newest_first(
        query, at=IncidentRow.opened_at, id_=IncidentRow.id, cursor=cursor, limit=limit
    )
    rows, next_cursor = split_page(
        session.scalars(query).all(), limit=limit, key=lambda row: (row.opened_at, row.id)
    )
    return Page[IncidentOut](
        items=[IncidentOut.model_validate(row) for row in rows], next_cursor=next_cursor
    )


@router.get("/{incident_id}", response_model=IncidentDetail, responses=documented(404))
def get_incident(incident_id: str, session: SessionDep) -> IncidentDetail:
    """One incident with its context packet, its events oldest first, and its latest mentions."""
    row = session.get(IncidentRow, incident_id)
    if row is None:
        raise ApiError(status=404, code="not_found", message=f"no incident {incident_id!r}")
    return incident_detail(session=session, row=row)


def incident_detail(*, session: Session, row: IncidentRow) -> IncidentDetail:
    """The full view of one stored incident."""
    events = session.scalars(
        select(IncidentEventRow)
        .where(IncidentEventRow.incident_id == row.id)
        .order_by(IncidentEventRow.at, IncidentEventRow.event_id)
    ).all()
    thread = session.scalars(
        select(MentionRow)
        .where(MentionRow.thread_root_id == row.thread_root_id, MentionRow.brand == row.brand)
        .order_by(MentionRow.created_at.desc(), MentionRow.id.desc())
        .limit(_THREAD_MENTIONS)
    ).all()
    summary = IncidentOut.model_validate(row).model_dump()
    return IncidentDetail.model_validate(
        {
            **summary,
            "context": row.context,
            "timeline": [_timeline_entry(event) for event in events],
            "thread_mentions": [MentionOut.model_validate(m) for m in reversed(thread)],
        }
    )


def _timeline_entry(event: IncidentEventRow) -> IncidentEventOut:
    payload: dict[str, Any] = event.payload
    context = payload.get("context") or {}
    action = context.get("action") if event.type == "updated" else None
    return IncidentEventOut.model_validate(
        {
            "event_id": event.event_id,
            "type": event.type,
            "at": event.at,
            "mention_id": payload.get("mention_id"),
            "severity": payload.get("severity"),
            "actor": payload.get("actor"),
            "action": action if isinstance(action, str) else None,
            "owner": context.get("owner") if action == "assign" else None,
            "note": context.get("note") if action == "note" else None,
            "level": payload.get("level"),
            "assignee": payload.get("assignee"),
        }
    )
