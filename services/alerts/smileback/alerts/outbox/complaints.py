"""Persisted recent complaints: loaded at start, saved in the same transaction as the outbox,
so a replayed batch counts a brand surge exactly as it was counted before."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.orm import Session

from smileback.alerts.incidents import Complaint, ComplaintChanges
from smileback.alerts.outbox.db import ComplaintRow
from smileback.common.database import copy_rows, on_postgresql, table_of
from smileback.common.packet import PostRef

__all__ = ["ComplaintStore"]

_ADDED = ("brand", "mention_id", "root_id", "at", "ref")


class ComplaintStore:
    """Recent complaints as rows of `alerts_recent_complaints`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def load(self) -> list[Complaint]:
        """Every stored complaint, in the order they arrived."""
        with Session(self._engine) as session:
            rows = session.scalars(select(ComplaintRow).order_by(ComplaintRow.id)).all()
            return [
                Complaint(
                    brand=row.brand,
                    root_id=row.root_id,
                    ref=PostRef.model_validate_json(row.ref),
                    at=datetime.fromtimestamp(row.at, UTC),
                )
                for row in rows
            ]

    def save(self, session: Session, *, changes: ComplaintChanges) -> None:
        """Delete the dropped complaints, then insert the added ones in their order."""
        dropped: defaultdict[str, list[str]] = defaultdict(list)
        for brand, mention_id in changes.dropped:
            dropped[brand].append(mention_id)
        # Core statements on the table: an ORM bulk delete would first work out which loaded
        # objects to expire (the session holds none) at every batch.
        table = table_of(ComplaintRow)
        for brand, mention_ids in dropped.items():
            session.execute(
                delete(table).where(table.c.brand == brand, table.c.mention_id.in_(mention_ids))
            )
        if not changes.added:
            return
        # In order, so the ids keep the order they arrived in: copied in on PostgreSQL (a
        # statement per row was most of what saving a batch cost), one executemany elsewhere.
        rows = [
            (c.brand, c.ref.mention_id, c.root_id, c.at.timestamp(), c.ref.model_dump_json())
            for c in changes.added
        ]
        if on_postgresql(session):
            copy_rows(session, table=table.name, columns=_ADDED, rows=rows)
        else:
            session.execute(insert(table), [dict(zip(_ADDED, row, strict=True)) for row in rows])
