"""The alerts database: the outbox, the incidents' persisted state, the recent complaints
the surge rule counts, and the smile-back entries still waiting (SQLAlchemy 2).

SQLite for the demo and a single host, PostgreSQL in production. Times are epoch seconds
(a float), which both dialects compare the same way. `create_schema` creates what is
missing; the tables are the alerts service's alone.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Double,
    Engine,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import StaticPool

from smileback.common.database import postgres_engine

__all__ = [
    "Base",
    "ComplaintRow",
    "IncidentStateRow",
    "OutboxRow",
    "PageOutcomeRow",
    "WaitingRow",
    "create_schema",
    "make_engine",
]


class Base(DeclarativeBase):
    """Declarative base of the alerts tables."""


class OutboxRow(Base):
    """One notification to one target: stored before it is sent, updated as it is tried."""

    __tablename__ = "alerts_outbox"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    incident_id: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200))
    notifier: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    step: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(Text)  # the Notification as JSON
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[float] = mapped_column(Double)
    next_attempt_at: Mapped[float] = mapped_column(Double)
    lease_until: Mapped[float | None] = mapped_column(Double, nullable=True)
    delivered_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    ingested_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    reported: Mapped[bool] = mapped_column(default=False)  # dead letter sent to the DLQ

    __table_args__ = (
        # One page per incident per target per escalation step: the heart of "never twice".
        UniqueConstraint("incident_id", "target", "kind", "step", name="uq_alerts_outbox_once"),
        Index("ix_alerts_outbox_status_id", "status", "id"),
    )


class PageOutcomeRow(Base):
    """How a trigger's delivery went (its first failure, then delivered or dead), stored with
    the outbox row's new status and published once as a `notified` incident event."""

    __tablename__ = "alerts_page_outcomes"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    outbox_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    incident_id: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    delivery: Mapped[str] = mapped_column(Text)  # the PageDelivery as JSON
    reported: Mapped[bool] = mapped_column(default=False)  # published as an incident event

    __table_args__ = (
        UniqueConstraint("outbox_id", "outcome", name="uq_alerts_page_outcomes_once"),
        Index("ix_alerts_page_outcomes_reported", "reported", "id"),
    )


class WaitingRow(Base):
    """A smile-back entry waiting for a reply, as the queues topic said: the digest counts
    the ones waiting too long. Gone once the API says it was answered or dismissed."""

    __tablename__ = "alerts_smile_back_waiting"

    mention_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    brand: Mapped[str | None] = mapped_column(String(200), nullable=True)
    at: Mapped[float] = mapped_column(Double)  # when it was queued

    __table_args__ = (Index("ix_alerts_smile_back_waiting_at", "at"),)


class IncidentStateRow(Base):
    """An incident's full state as JSON, so a restart neither forgets nor re-pages it."""

    __tablename__ = "alerts_incidents"

    incident_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[float] = mapped_column(Double)

    __table_args__ = (Index("ix_alerts_incidents_status", "status"),)


class ComplaintRow(Base):
    """One recent negative mention of a brand, as the surge rule counted it; ids keep the
    order they arrived in."""

    __tablename__ = "alerts_recent_complaints"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    brand: Mapped[str] = mapped_column(String(200))
    mention_id: Mapped[str] = mapped_column(Text)
    root_id: Mapped[str] = mapped_column(Text)
    at: Mapped[float] = mapped_column(Double)
    ref: Mapped[str] = mapped_column(Text)  # the PostRef as JSON

    __table_args__ = (Index("ix_alerts_recent_complaints_key", "brand", "mention_id"),)


def make_engine(url: str) -> Engine:
    """An engine safe to share between the consumer loop and the sender thread."""
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        return create_engine(
            url,
            # One shared connection for an in-memory database, or each thread sees its own.
            poolclass=StaticPool if memory else None,
            connect_args={"check_same_thread": False, "timeout": 30},
        )
    return postgres_engine(url)


def create_schema(engine: Engine) -> None:
    """Create the alerts tables that do not exist yet."""
    Base.metadata.create_all(engine)
