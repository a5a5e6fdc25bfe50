"""Queue entries can be dismissed ("not for us") with a reason, by whom and when.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

__all__ = ["downgrade", "upgrade"]

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("queue_items") as batch:
        batch.add_column(
            sa.Column("dismissed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("dismissed_by", sa.String(), nullable=True))
        batch.add_column(sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("dismissed_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("queue_items") as batch:
        for name in ("dismissed_reason", "dismissed_at", "dismissed_by", "dismissed"):
            batch.drop_column(name)
