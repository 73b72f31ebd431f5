"""Designs: the calibrated ranking's adjusted score

Revision ID: challenges02
Revises: rewards03
Created: 2026-12-06 21:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "challenges02"
down_revision: str | None = "rewards03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("designs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("adjusted_score", sa.Float(), nullable=False, server_default="0"))
    # The default only filled the existing rows (refreshed at the next pick or discount); the application always
    # writes the column.
    with op.batch_alter_table("designs", schema=None) as batch_op:
        batch_op.alter_column("adjusted_score", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("designs", schema=None) as batch_op:
        batch_op.drop_column("adjusted_score")
