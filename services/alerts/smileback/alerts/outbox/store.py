"""The outbox table: store notifications, claim due ones, record each attempt's outcome.

Rows of one (incident, target) are delivered in the order they were stored (a resolve
never overtakes its trigger). A claimed row is leased, so a second sender, or this one
after a crash, takes it again only once the lease has run out.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, func, or_, select, update
from sqlalchemy.orm import Session

from smileback.alerts.notifiers import Notification, NotificationKind
from smileback.alerts.outbox.db import OutboxRow, PageOutcomeRow
from smileback.alerts.outbox.item import OutboxItem, Pending
from smileback.common.events import PageDelivery

__all__ = ["Backlog", "DeadLetter", "OutboxStore", "RowStatus", "Triggered", "like_pattern"]

_SCAN = 500  # pending rows looked at per claim: enough, and bounded


class RowStatus:
    """Where an outbox row stands."""

    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


@dataclass(frozen=True)
class Backlog:
    """The rows waiting to be delivered: how many, and when the oldest was stored."""

    depth: int
    oldest: datetime | None


Triggered = tuple[str, str, str | None]  # (target, notifier, recipient) of a sent trigger
DeadLetter = tuple[int, str, str, str, str]  # (id, incident id, target, error, payload JSON)


class OutboxStore:
    """Reads and writes the outbox; writes that join a larger transaction take its session."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def enqueue(self, session: Session, *, items: Sequence[OutboxItem], now: datetime) -> int:
        """Store the items that are not stored yet; returns how many were new."""
        if not items:
            return 0
        ids = sorted({item.incident_id for item in items})
        existing = {
            (r.incident_id, r.target, r.kind, r.step)
            for r in session.execute(
                select(
                    OutboxRow.incident_id, OutboxRow.target, OutboxRow.kind, OutboxRow.step
                ).where(OutboxRow.incident_id.in_(ids))
            )
        }
        added = 0
        for item in items:
            key = (item.incident_id, item.target, str(item.kind), item.step)
            if key in existing:
                continue  # already stored (a replay): the unique constraint backs this up
            existing.add(key)
            session.add(
                OutboxRow(
                    incident_id=item.incident_id,
                    target=item.target,
                    notifier=item.notifier,
                    kind=str(item.kind),
                    step=item.step,
                    payload=item.notification.model_dump_json(),
                    status=RowStatus.PENDING,
                    attempts=0,
                    created_at=now.timestamp(),
                    next_attempt_at=now.timestamp(),
                    ingested_at=item.ingested_at.timestamp() if item.ingested_at else None,
                    reported=False,
                )
            )
            added += 1
        return added

    def triggered(self, *, incident_id: str) -> list[Triggered]:
        """The targets a trigger of this incident went (or is going) to; dead ones left out."""
        with Session(self._engine) as session:
            rows = session.execute(
                select(OutboxRow.target, OutboxRow.notifier, OutboxRow.payload)
                .where(
                    OutboxRow.incident_id == incident_id,
                    OutboxRow.kind == str(NotificationKind.TRIGGER),
                    OutboxRow.status != RowStatus.DEAD,
                )
                .order_by(OutboxRow.id)
            ).all()
        seen: dict[str, Triggered] = {}
        for target, notifier, payload in rows:
            recipient = Notification.model_validate_json(payload).recipient
            seen.setdefault(target, (target, notifier, recipient))
        return list(seen.values())

    def planned(
        self, *, incident_id: str, kind: NotificationKind
    ) -> list[tuple[int, Notification]]:
        """Every notification of that kind stored for this id, dead ones included, with its
        step: what was planned, whatever became of it."""
        with Session(self._engine) as session:
            rows = session.execute(
                select(OutboxRow.step, OutboxRow.payload)
                .where(OutboxRow.incident_id == incident_id, OutboxRow.kind == str(kind))
                .order_by(OutboxRow.id)
            ).all()
        return [(step, Notification.model_validate_json(payload)) for step, payload in rows]

    def last_step(self, *, incident_id: str) -> tuple[int, datetime] | None:
        """The highest step stored for this id (a digest's), and when it was stored."""
        with Session(self._engine) as session:
            row = session.execute(
                select(OutboxRow.step, OutboxRow.created_at)
                .where(OutboxRow.incident_id == incident_id)
                .order_by(OutboxRow.step.desc())
                .limit(1)
            ).first()
        return (row[0], datetime.fromtimestamp(row[1], UTC)) if row is not None else None

    def claim_due(self, *, now: datetime, lease_s: float, limit: int = 50) -> list[Pending]:
        """Lease up to `limit` due rows, each the oldest pending row of its (incident, target)."""
        t = now.timestamp()
        claimed: list[Pending] = []
        with Session(self._engine) as session, session.begin():
            rows = session.scalars(
                select(OutboxRow)
                .where(OutboxRow.status == RowStatus.PENDING)
                .order_by(OutboxRow.id)
                .limit(_SCAN)
            ).all()
            ahead: set[tuple[str, str]] = set()
            for row in rows:
                pair = (row.incident_id, row.target)
                if pair in ahead:
                    continue  # an older row of the same target goes first
                ahead.add(pair)
                leased = row.lease_until is not None and row.lease_until > t
                if row.next_attempt_at > t or leased or len(claimed) >= limit:
                    continue
                won = session.execute(
                    update(OutboxRow)
                    .where(
                        OutboxRow.id == row.id,
                        OutboxRow.status == RowStatus.PENDING,
                        or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until <= t),
                    )
                    .values(lease_until=t + lease_s, attempts=OutboxRow.attempts + 1)
                    .execution_options(synchronize_session=False)
                )
                if won.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(_pending(row, attempts=row.attempts + 1))
        return claimed

    def delivered(self, *, row_id: int, now: datetime, page: PageDelivery | None = None) -> None:
        """Mark a row delivered; `page`: the trigger's outcome to report."""
        self._set(
            row_id,
            page=page,
            status=RowStatus.DELIVERED,
            delivered_at=now.timestamp(),
            lease_until=None,
        )

    def retry(
        self, *, row_id: int, at: datetime, error: str, page: PageDelivery | None = None
    ) -> None:
        """Release a row to be tried again at `at`; `page`: the trigger's outcome to report."""
        self._set(
            row_id, page=page, next_attempt_at=at.timestamp(), last_error=error, lease_until=None
        )

    def dead(self, *, row_id: int, error: str, page: PageDelivery | None = None) -> None:
        """Give up on a row: it stays, with its reason, as a dead letter; `page`: the
        trigger's outcome to report."""
        self._set(row_id, page=page, status=RowStatus.DEAD, last_error=error, lease_until=None)

    def unreported_pages(self, *, limit: int = 100) -> list[tuple[int, str, PageDelivery]]:
        """Page outcomes not yet published: (id, incident id, delivery), oldest first."""
        with Session(self._engine) as session:
            rows = session.execute(
                select(PageOutcomeRow.id, PageOutcomeRow.incident_id, PageOutcomeRow.delivery)
                .where(PageOutcomeRow.reported.is_(False))
                .order_by(PageOutcomeRow.id)
                .limit(limit)
            ).all()
        return [(r[0], r[1], PageDelivery.model_validate_json(r[2])) for r in rows]

    def mark_pages_reported(self, *, ids: Sequence[int]) -> None:
        """Note that these page outcomes are on the incidents topic."""
        if ids:
            with Session(self._engine) as session, session.begin():
                session.execute(
                    update(PageOutcomeRow).where(PageOutcomeRow.id.in_(ids)).values(reported=True)
                )

    def backlog(self) -> Backlog:
        """How many rows wait to be delivered and when the oldest was stored, in one query."""
        with Session(self._engine) as session:
            count, oldest = session.execute(
                select(func.count(), func.min(OutboxRow.created_at)).where(
                    OutboxRow.status == RowStatus.PENDING
                )
            ).one()
        return Backlog(
            depth=int(count or 0),
            oldest=datetime.fromtimestamp(oldest, UTC) if oldest is not None else None,
        )

    def next_due(self) -> datetime | None:
        """When the next row can be claimed: the earliest of each target's oldest pending row."""
        with Session(self._engine) as session:
            rows = session.execute(
                select(
                    OutboxRow.incident_id,
                    OutboxRow.target,
                    OutboxRow.next_attempt_at,
                    OutboxRow.lease_until,
                )
                .where(OutboxRow.status == RowStatus.PENDING)
                .order_by(OutboxRow.id)
                .limit(_SCAN)
            ).all()
        heads: dict[tuple[str, str], float] = {}
        for incident_id, target, due, lease in rows:
            heads.setdefault((incident_id, target), max(due, lease or 0.0))
        return datetime.fromtimestamp(min(heads.values()), UTC) if heads else None

    def unreported_dead(self, *, limit: int = 100) -> list[DeadLetter]:
        """Dead letters not yet published to the DLQ topic."""
        with Session(self._engine) as session:
            rows = session.execute(
                select(
                    OutboxRow.id,
                    OutboxRow.incident_id,
                    OutboxRow.target,
                    OutboxRow.last_error,
                    OutboxRow.payload,
                )
                .where(OutboxRow.status == RowStatus.DEAD, OutboxRow.reported.is_(False))
                .order_by(OutboxRow.id)
                .limit(limit)
            ).all()
        return [(r[0], r[1], r[2], r[3] or "", r[4]) for r in rows]

    def mark_reported(self, *, row_ids: Sequence[int]) -> None:
        """Note that these dead letters are on the DLQ topic."""
        if row_ids:
            with Session(self._engine) as session, session.begin():
                session.execute(
                    update(OutboxRow).where(OutboxRow.id.in_(row_ids)).values(reported=True)
                )

    def redact(self, session: Session, *, mention_id: str) -> int:
        """Rewrite every stored notification that quotes a deleted post; returns how many."""
        rows = session.scalars(
            select(OutboxRow).where(OutboxRow.payload.like(like_pattern(mention_id), escape="\\"))
        ).all()
        changed = 0
        for row in rows:
            before = Notification.model_validate_json(row.payload)
            after = before.redacted(mention_id=mention_id)
            if after != before:
                row.payload = after.model_dump_json()
                changed += 1
        return changed

    def _set(self, row_id: int, *, page: PageDelivery | None, **values: object) -> None:
        with Session(self._engine) as session, session.begin():
            session.execute(update(OutboxRow).where(OutboxRow.id == row_id).values(**values))
            if page is not None:
                row = session.get(OutboxRow, row_id)
                if row is not None:
                    session.add(
                        PageOutcomeRow(
                            outbox_id=row_id,
                            incident_id=row.incident_id,
                            outcome=str(page.outcome),
                            delivery=page.model_dump_json(),
                            reported=False,
                        )
                    )


def _pending(row: OutboxRow, *, attempts: int) -> Pending:
    return Pending(
        id=row.id,
        incident_id=row.incident_id,
        target=row.target,
        notifier=row.notifier,
        kind=NotificationKind(row.kind),
        attempts=attempts,
        created_at=datetime.fromtimestamp(row.created_at, UTC),
        ingested_at=datetime.fromtimestamp(row.ingested_at, UTC) if row.ingested_at else None,
        notification=Notification.model_validate_json(row.payload),
    )


def like_pattern(mention_id: str) -> str:
    """A LIKE pattern (escape char backslash) matching JSON that holds `mention_id` as a string."""
    quoted = json.dumps(mention_id, ensure_ascii=False)
    return "%" + quoted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
