"""A campaign's running totals (campaign_totals) and each connector's reach and sort keys on their application

Revision ID: cmptot01
Revises: preord01
Created: 2026-12-07 07:30:00+00:00

The results for everyone read these instead of aggregating every response, link and connector on each view
(app.campaigns.totals). The backfill is the recount, campaign by campaign, in set-based statements (a few
UPDATEs and grouped SELECTs per campaign: minutes, not hours, at a million responses).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision: str = "cmptot01"
down_revision: str | None = "preord01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REACH_COLUMNS = ("reach_opens", "reach_responses", "reach_signups", "reach_shares", "response_rank")
INDEXES = {
    "ix_campaign_applications_by_responses": ["campaign_id", "status", "response_rank", "response_rate"],
    "ix_campaign_applications_by_rate": ["campaign_id", "status", "rate_rank", "response_rank"],
    "ix_campaign_applications_by_opens": ["campaign_id", "status", "reach_opens", "response_rank"],
    "ix_campaign_applications_by_samples": ["campaign_id", "status", "samples_passed_on", "response_rank"],
    "ix_campaign_applications_by_signups": ["campaign_id", "status", "reach_signups", "response_rank"],
}


def upgrade() -> None:
    from app.campaigns.totals import recount_campaign_totals

    op.create_table(
        "campaign_totals",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("figure", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=20), nullable=False),
        sa.Column("shard", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_campaign_totals_campaign_id_campaigns"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("campaign_id", "figure", "key", "shard", name=op.f("pk_campaign_totals")),
    )
    # With a default while the rows get them, then without one, as the model has it.
    with op.batch_alter_table("campaign_applications", schema=None) as batch_op:
        for name in REACH_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("response_rate", sa.Float(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("rate_rank", sa.Float(), nullable=False, server_default="-1"))
    with op.batch_alter_table("campaign_applications", schema=None) as batch_op:
        for name in (*REACH_COLUMNS, "response_rate", "rate_rank"):
            batch_op.alter_column(name, server_default=None)
    session = Session(bind=op.get_bind())
    for (campaign_id,) in session.execute(sa.text("SELECT id FROM campaigns ORDER BY id")).all():
        recount_campaign_totals(session, campaign_id=campaign_id)
    session.flush()
    for name, columns in INDEXES.items():
        op.create_index(name, "campaign_applications", columns, unique=False)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="campaign_applications")
    with op.batch_alter_table("campaign_applications", schema=None) as batch_op:
        for name in ("rate_rank", "response_rate", *reversed(REACH_COLUMNS)):
            batch_op.drop_column(name)
    op.drop_table("campaign_totals")
