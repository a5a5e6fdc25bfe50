"""Initial schema: mentions, incidents and their events, queues, API keys, brands and rules.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

__all__ = ["downgrade", "upgrade"]

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Apply this revision."""
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "mentions",
        sa.Column("id", sa.String(length=512), nullable=False),
        sa.Column("brand", sa.String(), nullable=True),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("lang", sa.String(), nullable=True),
        sa.Column("author_handle", sa.String(), nullable=False),
        sa.Column("author_followers", sa.BigInteger(), nullable=False),
        _time("created_at"),
        _time("ingested_at", nullable=True),
        sa.Column("thread_root_id", sa.String(length=512), nullable=False),
        sa.Column("negativity", sa.Float(), nullable=False),
        sa.Column("is_negative", sa.Boolean(), nullable=False),
        sa.Column("sentiment", sa.String(), nullable=False),
        sa.Column("reach", sa.Float(), nullable=False),
        sa.Column("reach_tier", sa.String(), nullable=False),
        sa.Column("thread_velocity", sa.Float(), nullable=False),
        sa.Column("pile_on_risk", sa.Float(), nullable=False),
        sa.Column("model_version", sa.String(), nullable=False),
        sa.Column("redacted", sa.Boolean(), nullable=False),
        sa.Column("payload", _JSON, nullable=False),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_mentions_created_at_id",
        "mentions",
        ["created_at", "id"],
        postgresql_include=["brand", "is_negative"],
    )
    op.create_index(
        "ix_mentions_brand_created_at",
        "mentions",
        ["brand", "created_at", "id"],
        postgresql_include=["is_negative"],
    )
    op.create_index(
        "ix_mentions_thread_root_id_created_at", "mentions", ["thread_root_id", "created_at"]
    )
    op.create_index(
        "ix_mentions_author_handle_created_at",
        "mentions",
        [sa.literal_column("lower(author_handle)"), "created_at"],
    )
    if postgres:
        # pg_trgm is a trusted extension (PostgreSQL >= 13): the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            "ix_mentions_text_trgm",
            "mentions",
            ["text"],
            postgresql_using="gin",
            postgresql_ops={"text": "gin_trgm_ops"},
        )

    op.create_table(
        "incidents",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("brand", sa.String(), nullable=False),
        sa.Column("thread_root_id", sa.String(length=512), nullable=False),
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("severity", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        _time("opened_at"),
        _time("last_event_at"),
        sa.Column("mention_count", sa.BigInteger(), nullable=False),
        sa.Column("peak_velocity", sa.Float(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("paged_count", sa.BigInteger(), nullable=False),
        sa.Column("context", _JSON, nullable=False),
        sa.Column("owner", sa.String(), nullable=True),
        sa.Column("acknowledged_by", sa.String(), nullable=True),
        _time("acknowledged_at", nullable=True),
        sa.Column("resolved_by", sa.String(), nullable=True),
        _time("resolved_at", nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_incidents_opened_at_id", "incidents", ["opened_at", "id"])
    op.create_index("ix_incidents_status_opened_at", "incidents", ["status", "opened_at", "id"])
    op.create_index("ix_incidents_brand_opened_at", "incidents", ["brand", "opened_at"])
    op.create_index("ix_incidents_thread_root_id", "incidents", ["thread_root_id"])

    op.create_table(
        "incident_events",
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("incident_id", sa.String(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        _time("at"),
        sa.Column("payload", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index("ix_incident_events_incident_id_at", "incident_events", ["incident_id", "at"])

    op.create_table(
        "queue_items",
        sa.Column("mention_id", sa.String(length=512), nullable=False),
        sa.Column("queue", sa.String(), nullable=False),
        sa.Column("brand", sa.String(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        _time("at"),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("answered_by", sa.String(), nullable=True),
        _time("answered_at", nullable=True),
        sa.PrimaryKeyConstraint("mention_id", "queue"),
    )
    op.create_index(
        "ix_queue_items_queue_answered_at",
        "queue_items",
        ["queue", "answered", "at", "mention_id"],
    )
    op.create_index("ix_queue_items_at", "queue_items", ["at"])

    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        _time("created_at"),
        _time("expires_at", nullable=True),
        _time("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )

    op.create_table(
        "brands",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        _time("created_at"),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_index("ix_brands_created_at_name", "brands", ["created_at", "name"])
    op.create_table(
        "brand_rules",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("brand", sa.String(length=64), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        _time("created_at"),
        _time("updated_at"),
        sa.ForeignKeyConstraint(["brand"], ["brands.name"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_brand_rules_brand_created_at", "brand_rules", ["brand", "created_at", "id"])


def downgrade() -> None:
    """Undo this revision (the pg_trgm extension stays: other schemas may use it)."""
    for table in (
        "brand_rules",
        "brands",
        "api_keys",
        "queue_items",
        "incident_events",
        "incidents",
        "mentions",
    ):
        op.drop_table(table)
