"""Pre-orders of products made from winning designs, and members' pledges to them

Revision ID: preord01
Revises: hooks01
Created: 2026-12-07 07:45:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.columns

revision: str = "preord01"
down_revision: str | None = "hooks01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "preorders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "funded", "not_funded", name="preorderstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("target_count", sa.Integer(), nullable=False),
        sa.Column("stock_limit", sa.Integer(), nullable=True),
        sa.Column("pledged_count", sa.Integer(), nullable=False),
        sa.Column("variants", sa.JSON(), nullable=False),
        sa.Column("price_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("deadline_at", app.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", app.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("funded_at", app.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", app.columns.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("target_count > 0", name=op.f("ck_preorders_target_positive")),
        sa.CheckConstraint("pledged_count >= 0", name=op.f("ck_preorders_pledged_not_negative")),
        sa.CheckConstraint(
            "stock_limit IS NULL OR pledged_count <= stock_limit", name=op.f("ck_preorders_within_stock")
        ),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_preorders_brand_id_brands"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_preorders_community_id_communities"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"], ["users.id"], name=op.f("fk_preorders_opened_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_preorders_product_id_products"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preorders")),
        sa.UniqueConstraint("product_id", name=op.f("uq_preorders_product_id")),
    )
    op.create_index(op.f("ix_preorders_brand_id"), "preorders", ["brand_id"], unique=False)
    op.create_index(op.f("ix_preorders_community_id"), "preorders", ["community_id"], unique=False)
    op.create_table(
        "pledges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("preorder_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "status", sa.Enum("active", "withdrawn", name="pledgestatus", native_enum=False, length=20), nullable=False
        ),
        sa.Column("variant", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("recipient_name", sa.String(length=120), nullable=False),
        sa.Column("address_line1", sa.String(length=200), nullable=False),
        sa.Column("address_line2", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("postcode", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("created_at", app.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.columns.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_pledges_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["preorder_id"], ["preorders.id"], name=op.f("fk_pledges_preorder_id_preorders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_pledges_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pledges")),
        sa.UniqueConstraint("preorder_id", "user_id", name=op.f("uq_pledges_preorder_id_user_id")),
    )
    op.create_index(op.f("ix_pledges_preorder_id"), "pledges", ["preorder_id"], unique=False)
    op.create_index(op.f("ix_pledges_user_id"), "pledges", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_pledges_user_id"), table_name="pledges")
    op.drop_index(op.f("ix_pledges_preorder_id"), table_name="pledges")
    op.drop_table("pledges")
    op.drop_index(op.f("ix_preorders_community_id"), table_name="preorders")
    op.drop_index(op.f("ix_preorders_brand_id"), table_name="preorders")
    op.drop_table("preorders")
