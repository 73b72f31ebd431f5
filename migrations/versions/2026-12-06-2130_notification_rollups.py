"""Notifications roll up: many of one kind about one thing on one day read as one line (a key, the line's text, and
the amount for money)

Revision ID: notify02
Revises: challenges02
Created: 2026-12-06 21:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "notify02"
down_revision: str | None = "challenges02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rollup_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("rollup_text", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("amount_minor", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True))
    # The default only filled the existing rows; the application always writes the column.
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("rollup_text", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("currency")
        batch_op.drop_column("amount_minor")
        batch_op.drop_column("rollup_text")
        batch_op.drop_column("rollup_key")
