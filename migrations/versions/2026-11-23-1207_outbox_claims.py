"""Outbox e-mails are claimed for a delivery run, so no transaction stays open while the SMTP server is talked to

Revision ID: outbox02
Revises: insights01
Created: 2026-11-23 16:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.columns

revision: str = "outbox02"
down_revision: str | None = "insights01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox_emails", sa.Column("claimed_until", app.columns.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.drop_column("claimed_until")
