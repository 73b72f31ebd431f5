"""Reviews of a sampling campaign's product by those who tried it (app.reviews)

Revision ID: review01
Revises: scorepg01
Created: 2026-12-07 07:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.columns

revision: str = "review01"
down_revision: str | None = "scorepg01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(length=5000), nullable=False),
        sa.Column("image_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("edited_at", app.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", app.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("hidden_at", app.columns.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("rating >= 1 AND rating <= 5", name=op.f("ck_reviews_rating_range")),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_reviews_author_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_reviews_campaign_id_campaigns"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["image_id"], ["media_images.id"], name=op.f("fk_reviews_image_id_media_images"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("campaign_id", "author_id", name=op.f("uq_reviews_campaign_id_author_id")),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviews_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reviews_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reviews_image_id"), ["image_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviews_image_id"))
        batch_op.drop_index(batch_op.f("ix_reviews_campaign_id"))
        batch_op.drop_index(batch_op.f("ix_reviews_author_id"))
    op.drop_table("reviews")
