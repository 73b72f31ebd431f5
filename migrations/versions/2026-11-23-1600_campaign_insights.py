"""Campaign insights: the chart posted with a campaign's outcome, indexes for campaign segments

Revision ID: insights02
Revises: moderation02
Created: 2026-11-23 16:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "insights02"
down_revision: str | None = "moderation02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("outcome_chart", sa.JSON(), nullable=True))
    op.create_index(
        "ix_campaign_responses_campaign_id_connector_id",
        "campaign_responses",
        ["campaign_id", "connector_id", "hop", "survey_response_id"],
        unique=False,
    )
    op.create_index(
        "ix_campaign_responses_campaign_id_hop",
        "campaign_responses",
        ["campaign_id", "hop", "survey_response_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_campaign_responses_campaign_id_hop", table_name="campaign_responses")
    op.drop_index("ix_campaign_responses_campaign_id_connector_id", table_name="campaign_responses")
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("outcome_chart")
