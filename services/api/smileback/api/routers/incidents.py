"""Incidents, newest first, and one incident with its context, timeline, thread and the
thread's figures now. Both answer conditional GETs (ETag, If-None-Match): the console polls
them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from smileback.api.conditional import NOT_MODIFIED, conditional_json
from smileback.api.deps import READ, SessionDep
from smileback.api.errors import ApiError, documented
from smileback.api.pagination import count_rows, newest_first, split_page
from smileback.api.params import Cursor, Limit, Word
from smileback.api.schemas import (
    CountedPage,
    IncidentDetail,
    IncidentEventOut,
    IncidentOut,
    LiveFigures,
    MentionOut,
    PageOut,
    PagingOut,
)
from smileback.api.store import IncidentEventRow, IncidentRow, MentionRow
from smileback.api.store.queries import IncidentFilter, incident_query, thread_counts
from smileback.common.events import IncidentEvent, IncidentEventType, Severity
from smileback.common.incident_status import IncidentStatus

__all__ = [
    "TIMELINE_EVENTS",
    "event_out",
    "get_incident",
    "incident_detail",
    "incident_timeline",
    "list_incidents",
    "router",
]

_THREAD_MENTIONS = 20
# The detail shows this many of the newest events: a busy incident's notes would otherwise
# make its answer unbounded (300 notes were 1.3 MB); older ones are paged from /timeline.
TIMELINE_EVENTS = 100
# The paging section shows this many of the newest page outcomes, pages and escalations.
_PAGING_ENTRIES = 100
_PAGING_EVENTS = (IncidentEventType.NOTIFIED, IncidentEventType.PAGED, IncidentEventType.ESCALATED)

router = APIRouter(prefix="/v1/incidents", tags=["incidents"], dependencies=[Depends(READ)])


@router.get("", response_model=CountedPage[IncidentOut], responses={**documented(), **NOT_MODIFIED})
def list_incidents(
    request: Request,
    session: SessionDep,
    status: IncidentStatus | None = None,
    unresolved: bool = False,
    severity: Severity | None = None,
    brand: Word = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """Incidents matching every given filter, most recently opened first; `total` counts
    them all. `unresolved=true`: open or acknowledged, what a responder still works on."""
    query = incident_query(
        IncidentFilter(
            status=str(status) if status else None,
            unresolved=unresolved,
            severity=str(severity) if severity else None,
            brand=brand,
        )
    )
    total = count_rows(session, query)
    query = newest_first(
        query, at=IncidentRow.opened_at, id_=IncidentRow.id, cursor=cursor, limit=limit
    )
    rows, next_cursor = split_page(
        session.scalars(query).all(), limit=limit, key=lambda row: (row.opened_at, row.id)
    )
    page = CountedPage[IncidentOut](
        items=[IncidentOut.model_validate(row) for row in rows],
        next_cursor=next_cursor,
        total=total,
    )
    return conditional_json(request, page)


@router.get(
    "/{incident_id}", response_model=IncidentDetail, responses={**documented(404), **NOT_MODIFIED}
)
def get_incident(incident_id: str, request: Request, session: SessionDep) -> Response:
    """One incident with its context packet, its events oldest first, its latest mentions,
    and its thread's figures now."""
    row = session.get(IncidentRow, incident_id)
    if row is None:
        raise ApiError(status=404, code="not_found", message=f"no incident {incident_id!r}")
    return conditional_json(request, incident_detail(session=session, row=row))


@router.get(
    "/{incident_id}/timeline",
    response_model=CountedPage[IncidentEventOut],
    responses=documented(404),
)
def incident_timeline(
    incident_id: str, session: SessionDep, limit: Limit = TIMELINE_EVENTS, cursor: Cursor = None
) -> CountedPage[IncidentEventOut]:
    """An incident's events, newest first; start from the detail's `timeline_next_cursor`
    to read what its `timeline` left out. `total` counts all of its events."""
    if session.get(IncidentRow, incident_id) is None:
        raise ApiError(status=404, code="not_found", message=f"no incident {incident_id!r}")
    events, next_cursor = _timeline_page(
        session=session, incident_id=incident_id, cursor=cursor, limit=limit
    )
    return CountedPage[IncidentEventOut](
        items=[_timeline_entry(event) for event in events],
        next_cursor=next_cursor,
        total=count_rows(session, _events_of(incident_id)),
    )


def incident_detail(*, session: Session, row: IncidentRow) -> IncidentDetail:
    """The full view of one stored incident (its newest TIMELINE_EVENTS events)."""
    events, older = _timeline_page(
        session=session, incident_id=row.id, cursor=None, limit=TIMELINE_EVENTS
    )
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
            "live": _live(session=session, row=row, newest=thread[0] if thread else None),
            "timeline": [_timeline_entry(event) for event in reversed(events)],
            "timeline_next_cursor": older,
            "thread_mentions": [MentionOut.model_validate(m) for m in reversed(thread)],
            "paging": _paging(session=session, row=row),
        }
    )


def _live(*, session: Session, row: IncidentRow, newest: MentionRow | None) -> LiveFigures:
    """The thread's figures now: its counts, and the scores of its newest stored post; and
    its count when the incident opened, from the opening event."""
    mentions, negatives = thread_counts(session, brand=row.brand, thread_root_id=row.thread_root_id)
    opened = session.scalars(
        select(IncidentEventRow.payload)
        .where(
            IncidentEventRow.incident_id == row.id,
            IncidentEventRow.type == str(IncidentEventType.OPENED),
        )
        .order_by(IncidentEventRow.at, IncidentEventRow.event_id)
        .limit(1)
    ).first()
    return LiveFigures(
        mentions=mentions,
        mentions_at_page_time=(
            IncidentEvent.model_validate(opened).mention_count if opened is not None else None
        ),
        negatives=negatives,
        thread_velocity=newest.thread_velocity if newest is not None else 0.0,
        pile_on_risk=newest.pile_on_risk if newest is not None else 0.0,
        as_of=newest.created_at if newest is not None else None,
    )


def _paging(*, session: Session, row: IncidentRow) -> PagingOut:
    """The incident's newest page outcomes, and when its next escalation level fires (the
    newest page or escalation says; nothing fires once it is claimed or resolved)."""
    events = session.scalars(
        select(IncidentEventRow.payload)
        .where(
            IncidentEventRow.incident_id == row.id,
            IncidentEventRow.type.in_([str(t) for t in _PAGING_EVENTS]),
        )
        .order_by(IncidentEventRow.at.desc(), IncidentEventRow.event_id.desc())
        .limit(_PAGING_ENTRIES)
    ).all()
    pages: list[PageOut] = []
    newest_firing: IncidentEvent | None = None  # the newest page or escalation
    for payload in events:
        event = IncidentEvent.model_validate(payload)
        if event.delivery is not None:
            pages.append(PageOut.model_validate(event.delivery.model_dump()))
        elif newest_firing is None and event.type is not IncidentEventType.NOTIFIED:
            newest_firing = event
    due = (
        newest_firing.next_escalation_at
        if newest_firing is not None and row.status == IncidentStatus.OPEN
        else None
    )
    return PagingOut(pages=list(reversed(pages)), next_escalation_at=due)


def _timeline_page(
    *, session: Session, incident_id: str, cursor: str | None, limit: int
) -> tuple[list[IncidentEventRow], str | None]:
    """One page of an incident's events, newest first, and the cursor of the older ones."""
    query = newest_first(
        _events_of(incident_id),
        at=IncidentEventRow.at,
        id_=IncidentEventRow.event_id,
        cursor=cursor,
        limit=limit,
    )
    return split_page(
        session.scalars(query).all(), limit=limit, key=lambda event: (event.at, event.event_id)
    )


def _events_of(incident_id: str) -> Select[IncidentEventRow]:
    return select(IncidentEventRow).where(IncidentEventRow.incident_id == incident_id)


def _timeline_entry(row: IncidentEventRow) -> IncidentEventOut:
    # Stored as the event's JSON, of schema version 1 or 2: parsing reads both alike.
    return event_out(IncidentEvent.model_validate(row.payload))


def event_out(event: IncidentEvent) -> IncidentEventOut:
    """An incident event as a timeline entry."""
    action = event.action
    return IncidentEventOut(
        event_id=event.event_id,
        type=event.type,
        at=event.at,
        mention_id=event.mention_id,
        severity=event.severity,
        responder=event.responder,
        action=action.kind if action is not None else None,
        owner=event.owner or (action.owner if action is not None else None),
        # A responder's note, or the alerts service's (a reopening kept open: flapping).
        note=action.note if action is not None and action.kind == "note" else event.note,
        level=event.level,
        paged=event.paged,
        previous_owner=action.previous_owner if action is not None else None,
        reason=action.reason if action is not None else None,
        key_id=event.key_id,
        on_behalf_of=event.on_behalf_of,
    )
