"""Responders label mentions ("not a complaint", "missed complaint", "not for us").

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["downgrade", "upgrade"]

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mention_labels",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("mention_id", sa.String(length=512), nullable=False),
        sa.Column("responder", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["mention_id"], ["mentions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mention_id", "responder", "label", name="uq_mention_labels"),
    )
    op.create_index("ix_mention_labels_at_id", "mention_labels", ["at", "id"])


def downgrade() -> None:
    op.drop_table("mention_labels")
