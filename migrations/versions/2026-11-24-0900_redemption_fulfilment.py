"""Redemptions: when the brand fulfilled one, and who

Revision ID: rewards02
Revises: insights02
Created: 2026-11-24 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.columns

revision: str = "rewards02"
down_revision: str | None = "insights02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("redemptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fulfilled_at", app.columns.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("fulfilled_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_redemptions_fulfilled_by_id_users", "users", ["fulfilled_by_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("redemptions", schema=None) as batch_op:
        batch_op.drop_constraint("fk_redemptions_fulfilled_by_id_users", type_="foreignkey")
        batch_op.drop_column("fulfilled_by_id")
        batch_op.drop_column("fulfilled_at")
