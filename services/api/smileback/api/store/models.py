"""The store's tables as SQLAlchemy 2 typed declarative models.

The migrations in `store/migrations/versions/` create exactly these tables; a test
compares the two on PostgreSQL, so a change here needs a new migration.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "EXCERPT_CHARS",
    "ApiKeyRow",
    "Base",
    "BrandRow",
    "BrandRuleRow",
    "IncidentEventRow",
    "IncidentRow",
    "JsonDoc",
    "MentionLabelRow",
    "MentionRow",
    "QueueItemRow",
    "UtcDateTime",
]

EXCERPT_CHARS = 200  # how much of an incident's post its listing shows

# JSONB on PostgreSQL (indexable, compact); SQLite stores JSON as text.
JsonDoc = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every dialect (SQLite keeps naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store UTC; naive values are taken as UTC already."""
        if value is None:
            return None
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        # SQLite compares datetimes as text, so every value must be naive UTC in one format.
        return aware.replace(tzinfo=None) if dialect.name == "sqlite" else aware

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Read back as aware UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of the store's tables."""

    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JsonDoc}


class MentionRow(Base):
    """One scored mention, upserted by id; `payload` is the full ScoredMention JSON."""

    __tablename__ = "mentions"

    id: Mapped[str] = mapped_column(String(512), primary_key=True)
    brand: Mapped[str | None] = mapped_column(String)
    platform: Mapped[str] = mapped_column(String)
    text: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String)
    author_handle: Mapped[str] = mapped_column(String)
    author_followers: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    ingested_at: Mapped[datetime | None]
    thread_root_id: Mapped[str] = mapped_column(String(512))
    negativity: Mapped[float] = mapped_column(Float)
    is_negative: Mapped[bool]
    sentiment: Mapped[str] = mapped_column(String)
    reach: Mapped[float] = mapped_column(Float)
    reach_tier: Mapped[str] = mapped_column(String)
    thread_velocity: Mapped[float] = mapped_column(Float)
    pile_on_risk: Mapped[float] = mapped_column(Float)
    model_version: Mapped[str] = mapped_column(String)
    redacted: Mapped[bool] = mapped_column(default=False)
    payload: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]

    # Every listing is newest first by (created_at, id); each filter gets an index that
    # leads with it and ends in that order, so a page reads only the rows it returns.
    __table_args__ = (
        # INCLUDE: the stats query counts (negative) mentions from these indexes alone.
        Index(
            "ix_mentions_created_at_id",
            "created_at",
            "id",
            postgresql_include=["brand", "is_negative"],
        ),
        Index(
            "ix_mentions_brand_created_at",
            "brand",
            "created_at",
            "id",
            postgresql_include=["is_negative"],
        ),
        Index("ix_mentions_thread_root_id_created_at", "thread_root_id", "created_at"),
        # "Text contains" is ILIKE '%…%': a trigram index answers it on PostgreSQL.
        Index(
            "ix_mentions_text_trgm",
            "text",
            postgresql_using="gin",
            postgresql_ops={"text": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )


# Handles compare case-insensitively, so the index is on lower(author_handle).
Index(
    "ix_mentions_author_handle_created_at",
    func.lower(MentionRow.author_handle),
    MentionRow.created_at,
)


class IncidentRow(Base):
    """The current state of one incident, folded from its events."""

    __tablename__ = "incidents"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    brand: Mapped[str] = mapped_column(String)
    thread_root_id: Mapped[str] = mapped_column(String(512))
    rule: Mapped[str] = mapped_column(String)
    severity: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String)
    opened_at: Mapped[datetime]
    last_event_at: Mapped[datetime]
    mention_count: Mapped[int] = mapped_column(BigInteger)
    peak_velocity: Mapped[float] = mapped_column(Float)
    summary: Mapped[str] = mapped_column(Text)
    paged_count: Mapped[int] = mapped_column(BigInteger, default=0)
    context: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    owner: Mapped[str | None] = mapped_column(String)
    acknowledged_by: Mapped[str | None] = mapped_column(String)
    acknowledged_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String)
    resolved_at: Mapped[datetime | None]
    # The headline post's author, read from the context packet's "who" section (the alerts
    # service's format) in SQL: a listing need not load the packet, and redaction covers it.
    author_handle: Mapped[str | None] = column_property(context[("who", "handle")].as_string())
    # Likewise the author's audience, and the start of the post, for the console's list.
    author_followers: Mapped[int | None] = column_property(
        context[("who", "followers")].as_integer()
    )
    excerpt: Mapped[str | None] = column_property(
        func.substr(context[("what", "text")].as_string(), 1, EXCERPT_CHARS)
    )

    __table_args__ = (
        Index("ix_incidents_opened_at_id", "opened_at", "id"),
        Index("ix_incidents_status_opened_at", "status", "opened_at", "id"),
        Index("ix_incidents_brand_opened_at", "brand", "opened_at"),
        Index("ix_incidents_thread_root_id", "thread_root_id"),
    )


class IncidentEventRow(Base):
    """One applied incident event; its primary key makes replays no-ops."""

    __tablename__ = "incident_events"

    # No foreign key: the event row is written first, as the idempotency guard.
    event_id: Mapped[str] = mapped_column(String, primary_key=True)
    incident_id: Mapped[str] = mapped_column(String)
    type: Mapped[str] = mapped_column(String)
    at: Mapped[datetime]
    payload: Mapped[dict[str, Any]]

    __table_args__ = (Index("ix_incident_events_incident_id_at", "incident_id", "at"),)


class QueueItemRow(Base):
    """A mention waiting in a human queue (triage or smile-back)."""

    __tablename__ = "queue_items"

    mention_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    queue: Mapped[str] = mapped_column(String, primary_key=True)
    brand: Mapped[str | None] = mapped_column(String)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]
    answered: Mapped[bool] = mapped_column(default=False)
    answered_by: Mapped[str | None] = mapped_column(String)
    answered_at: Mapped[datetime | None]
    # "Not for us": a dismissed entry leaves the queue; why, by whom and when are kept.
    dismissed: Mapped[bool] = mapped_column(default=False, server_default=false())
    dismissed_by: Mapped[str | None] = mapped_column(String)
    dismissed_at: Mapped[datetime | None]
    dismissed_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_queue_items_queue_answered_at", "queue", "answered", "at", "mention_id"),
        Index("ix_queue_items_at", "at"),
    )


class MentionLabelRow(Base):
    """A responder's label on a mention ("not a complaint", ...): one per (mention, responder,
    label); it goes when its mention is purged, as the text it labels does."""

    __tablename__ = "mention_labels"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    mention_id: Mapped[str] = mapped_column(
        String(512), ForeignKey("mentions.id", ondelete="CASCADE")
    )
    responder: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(32))
    # When the responder last gave this label: for training, a mention's latest label counts.
    at: Mapped[datetime]

    __table_args__ = (
        # Leads with mention_id, so it also serves the purge's cascade.
        UniqueConstraint("mention_id", "responder", "label", name="uq_mention_labels"),
        Index("ix_mention_labels_at_id", "at", "id"),
    )


class ApiKeyRow(Base):
    """An API key: only the SHA-256 of its token is stored."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(16))
    # The on-call file's id of the human whose actions the key takes (admin keys: maybe none).
    responder: Mapped[str | None] = mapped_column(String(200))
    token_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class BrandRow(Base):
    """A monitored brand."""

    __tablename__ = "brands"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_brands_created_at_name", "created_at", "name"),)


class BrandRuleRow(Base):
    """One boolean match rule of a brand, stored as its source text (already parsed once)."""

    __tablename__ = "brand_rules"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    brand: Mapped[str] = mapped_column(String(64), ForeignKey("brands.name", ondelete="CASCADE"))
    query: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_brand_rules_brand_created_at", "brand", "created_at", "id"),)
