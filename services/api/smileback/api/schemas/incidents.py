"""Incidents, their timelines, and the bodies of the responder's actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import model_validator

from smileback.api.schemas.base import In, Name, Out, Prose
from smileback.api.schemas.mentions import MentionOut
from smileback.common.events import IncidentEventType, PageOutcome, Severity
from smileback.common.incident_status import IncidentStatus

__all__ = [
    "ActionResultOut",
    "AssignIn",
    "IncidentDetail",
    "IncidentEventOut",
    "IncidentOut",
    "LiveFigures",
    "NoteIn",
    "PageOut",
    "PagingOut",
    "ResponderIn",
    "TakeOverIn",
]


class IncidentOut(Out):
    """An incident's current state; `author_handle` is its headline post's author, as the
    source wrote the handle ("" once that post is deleted, null without a context packet),
    `author_followers` that author's audience and `excerpt` the post's first 200 characters
    (both null without a context packet)."""

    id: str
    brand: str
    thread_root_id: str
    rule: str
    severity: Severity
    status: IncidentStatus
    opened_at: datetime
    last_event_at: datetime
    mention_count: int
    peak_velocity: float
    summary: str
    author_handle: str | None
    author_followers: int | None
    excerpt: str | None
    paged_count: int
    owner: str | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None


class IncidentEventOut(Out):
    """One timeline entry; `action` is "assign", "take_over" or "note" for those human
    updates. `responder` is who acted (null for the service's own events), `owner` who holds
    the incident after this event, `paged` whom a page or an escalation notified. `key_id`
    is the API key a human action was taken with, and `on_behalf_of` names the responder an
    admin key acted for. A `reopened` entry is a resolved thread's
    flare-up; its `note` "kept open: flapping" says the flapping guard held back its page."""

    event_id: str
    type: IncidentEventType
    at: datetime
    mention_id: str | None
    severity: Severity | None
    responder: str | None
    action: str | None = None
    owner: str | None = None
    note: str | None = None
    level: int | None = None  # the escalation level a page or escalation reached
    paged: list[str] = []
    previous_owner: str | None = None  # whom a take-over took the incident from
    reason: str | None = None  # why it was taken over
    key_id: str | None = None
    on_behalf_of: str | None = None


class ActionResultOut(Out):
    """What a responder's action did, in a few hundred bytes: the incident's state after it
    and the event it recorded (`event` is null when the action changed nothing, e.g. an
    owner acknowledging again). Read `GET /v1/incidents/{id}` for the whole incident."""

    id: str
    status: IncidentStatus
    owner: str | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    last_event_at: datetime
    event: IncidentEventOut | None


class PageOut(Out):
    """One page to one target: who it named, through which notifier, and how it went."""

    responders: list[str]
    notifier: str
    target: str
    level: int | None
    outcome: PageOutcome  # delivered, failed (first failure; retrying) or dead_lettered
    at: datetime


class PagingOut(Out):
    """Who was paged and how it went (newest last), and when the next escalation level
    fires: null once the incident is acknowledged or resolved, or the policy is exhausted."""

    pages: list[PageOut]
    next_escalation_at: datetime | None


class LiveFigures(Out):
    """The incident's thread now, from the mentions stored: how many there are, how many
    are negative, and the scorer's thread velocity (negative replies a minute) and pile-on
    risk as of the thread's newest post (`as_of`; null while no post of it is stored). The
    context packet's `why` keeps velocity and risk as they were when the incident paged;
    `mentions_at_page_time` is the incident's mention count when it opened (null when its
    opening event is not stored)."""

    mentions: int
    mentions_at_page_time: int | None
    negatives: int
    thread_velocity: float
    pile_on_risk: float
    as_of: datetime | None


class IncidentDetail(IncidentOut):
    """An incident with its context packet, its newest events (at most 100, oldest first),
    its thread and the thread's figures now (`live`); `timeline_next_cursor`, when not null,
    pages to the older events at `GET /v1/incidents/{id}/timeline?cursor=...`."""

    context: dict[str, Any]
    live: LiveFigures
    timeline: list[IncidentEventOut]
    timeline_next_cursor: str | None = None
    thread_mentions: list[MentionOut]
    paging: PagingOut


class ResponderIn(In):
    """Who acts comes from the API key. `responder`, if sent, must be the key's own responder
    (403 otherwise); `on_behalf_of` lets an admin key act for a responder of the on-call
    file, recorded as such."""

    responder: Name | None = None
    on_behalf_of: Name | None = None


class AssignIn(ResponderIn):
    owner: Name


class TakeOverIn(ResponderIn):
    """Take a claimed incident over from its owner, who is told, with the reason why."""

    reason: Prose


class NoteIn(In):
    """A note by the key's responder; `responder`, if sent, must be that responder. A body
    with `author`, the field's old name, is refused (422) naming `responder`."""

    text: Prose
    responder: Name | None = None
    on_behalf_of: Name | None = None

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: Any) -> Any:
        if isinstance(data, dict) and "author" in data:
            raise ValueError(
                "`author` is now `responder`: send the note's responder as `responder`"
            )
        return data
