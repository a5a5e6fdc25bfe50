"""Persisted incident state: loaded at start, saved in the same transaction as the outbox."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Engine, false, or_, select
from sqlalchemy.orm import Session

from smileback.alerts.incidents import Incident, redact_incident
from smileback.alerts.outbox.db import IncidentStateRow
from smileback.alerts.outbox.store import like_pattern
from smileback.common.database import dialect_insert, table_of
from smileback.common.incident_status import IncidentStatus

__all__ = ["IncidentStore"]


class IncidentStore:
    """Incidents by id, as JSON rows of `alerts_incidents`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def load(self, *, closed_since: datetime | None = None) -> tuple[list[Incident], set[str]]:
        """The open incidents in full, those resolved since `closed_since` too (they may
        reopen), and the ids of resolved ones."""
        resolved_status = str(IncidentStatus.RESOLVED)
        recent = (
            IncidentStateRow.updated_at >= closed_since.timestamp()
            if closed_since is not None
            else false()
        )
        with Session(self._engine) as session:
            open_rows = session.scalars(
                select(IncidentStateRow.state).where(
                    or_(IncidentStateRow.status != resolved_status, recent)
                )
            ).all()
            resolved = session.scalars(
                select(IncidentStateRow.incident_id).where(
                    IncidentStateRow.status == str(IncidentStatus.RESOLVED)
                )
            ).all()
        return [Incident.model_validate_json(s) for s in open_rows], set(resolved)

    def get(self, incident_id: str) -> Incident | None:
        """One incident's stored state, if any."""
        with Session(self._engine) as session:
            state = session.scalar(
                select(IncidentStateRow.state).where(IncidentStateRow.incident_id == incident_id)
            )
        return Incident.model_validate_json(state) if state is not None else None

    def save(self, session: Session, *, incidents: Iterable[Incident], now: datetime) -> None:
        """Insert or replace each incident's state, in one statement (an ORM merge read
        each row before writing it: two round trips an incident)."""
        rows = [
            {
                "incident_id": inc.incident_id,
                "status": str(inc.status),
                "state": inc.model_dump_json(),
                "updated_at": now.timestamp(),
            }
            for inc in incidents
        ]
        if not rows:
            return
        stmt = dialect_insert(session, table_of(IncidentStateRow))
        replace = {name: stmt.excluded[name] for name in ("status", "state", "updated_at")}
        session.execute(
            stmt.on_conflict_do_update(index_elements=["incident_id"], set_=replace), rows
        )

    def redact_resolved(self, session: Session, *, mention_id: str) -> int:
        """Rewrite resolved incidents that quote a deleted post (open ones live in the book)."""
        rows = session.scalars(
            select(IncidentStateRow).where(
                IncidentStateRow.status == str(IncidentStatus.RESOLVED),
                IncidentStateRow.state.like(like_pattern(mention_id), escape="\\"),
            )
        ).all()
        changed = 0
        for row in rows:
            inc = Incident.model_validate_json(row.state)
            if redact_incident(inc, mention_id=mention_id):
                row.state = inc.model_dump_json()
                changed += 1
        return changed
