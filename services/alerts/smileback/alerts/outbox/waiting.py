"""The smile-back entries still waiting for a reply, by the queues topic: queued ones added,
answered or dismissed ones removed; the digest reads how many waited too long, per brand."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from smileback.alerts.outbox.db import WaitingRow
from smileback.common.database import dialect_insert, table_of
from smileback.common.events import QueueItem, QueueName

__all__ = ["Overdue", "WaitingStore"]

Overdue = tuple[str | None, int, datetime]  # (brand, how many, when the oldest was queued)


class WaitingStore:
    """Reads and writes `alerts_smile_back_waiting`; writes join the batch's transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def save(self, session: Session, *, items: Sequence[QueueItem]) -> None:
        """Apply queue records: a new smile-back entry waits; one closed in the batch not."""
        kind = [item for item in items if item.queue is QueueName.SMILE_BACK]
        closed = {item.mention_id for item in kind if item.closed is not None}
        new = {item.mention_id: item for item in kind if item.mention_id not in closed}
        if closed:
            session.execute(delete(WaitingRow).where(WaitingRow.mention_id.in_(closed)))
        if new:  # one statement; an entry already waiting keeps the time it was queued
            stmt = dialect_insert(session, table_of(WaitingRow))
            session.execute(
                stmt.on_conflict_do_nothing(index_elements=["mention_id"]),
                [
                    {"mention_id": i.mention_id, "brand": i.brand, "at": i.at.timestamp()}
                    for i in new.values()
                ],
            )

    def overdue(self, *, queued_before: datetime) -> list[Overdue]:
        """Per brand, the entries queued before `queued_before` that still wait."""
        with Session(self._engine) as session:
            rows = session.execute(
                select(WaitingRow.brand, func.count(), func.min(WaitingRow.at))
                .where(WaitingRow.at < queued_before.timestamp())
                .group_by(WaitingRow.brand)
                .order_by(WaitingRow.brand)
            ).all()
        return [(brand, int(n), datetime.fromtimestamp(oldest, UTC)) for brand, n, oldest in rows]

    def forget(self, session: Session, *, mention_id: str) -> None:
        """Drop a deleted mention's entry."""
        session.execute(delete(WaitingRow).where(WaitingRow.mention_id == mention_id))
