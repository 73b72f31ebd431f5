"""Redemptions: the address merchandise is sent to

Revision ID: rewards03
Revises: rewards02
Created: 2026-11-24 09:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "rewards03"
down_revision: str | None = "rewards02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("redemptions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("shipping_address", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False, server_default="")
        )
    # The default only filled the existing rows; the application always writes the column.
    with op.batch_alter_table("redemptions", schema=None) as batch_op:
        batch_op.alter_column("shipping_address", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("redemptions", schema=None) as batch_op:
        batch_op.drop_column("shipping_address")
