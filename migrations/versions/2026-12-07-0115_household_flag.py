"""Campaign applications: a shared household is flagged to the managers, no longer refused at applying

Revision ID: leftovers01
Revises: two_factor01
Created: 2026-12-07 01:00:00+00:00

The unique constraint on (campaign, household) told a second applicant that someone at the address had applied;
it becomes a plain index, which the review table's "same household" flag reads.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "leftovers01"
down_revision: str | None = "two_factor01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaign_applications", schema=None) as batch_op:
        batch_op.drop_constraint("uq_campaign_applications_campaign_id_household_key", type_="unique")
        batch_op.create_index(
            "ix_campaign_applications_campaign_id_household_key", ["campaign_id", "household_key"], unique=False
        )


def downgrade() -> None:
    # Applications from one household made since cannot all stay under the constraint: all but the earliest of
    # each household lose their household key (as a withdrawn application does).
    op.execute(
        "UPDATE campaign_applications SET household_key = NULL WHERE household_key IS NOT NULL AND id NOT IN ("
        "SELECT MIN(id) FROM campaign_applications WHERE household_key IS NOT NULL GROUP BY campaign_id, household_key)"
    )
    with op.batch_alter_table("campaign_applications", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_applications_campaign_id_household_key")
        batch_op.create_unique_constraint(
            "uq_campaign_applications_campaign_id_household_key", ["campaign_id", "household_key"]
        )
