"""Brand weekly results e-mail: one row per brand, staff member and week, so a re-run never sends a second copy

Revision ID: staff_home01
Revises: media02
Created: 2026-12-07 01:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.columns

revision: str = "staff_home01"
down_revision: str | None = "media02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "brand_weekly_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("week_of", sa.Date(), nullable=False),
        sa.Column("sent_at", app.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_brand_weekly_reports_brand_id_brands"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_brand_weekly_reports_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brand_weekly_reports")),
        sa.UniqueConstraint(
            "brand_id", "user_id", "week_of", name=op.f("uq_brand_weekly_reports_brand_id_user_id_week_of")
        ),
    )
    with op.batch_alter_table("brand_weekly_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_brand_weekly_reports_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("brand_weekly_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_brand_weekly_reports_user_id"))
    op.drop_table("brand_weekly_reports")
