"""Webhooks for every business event: longer event names, test deliveries, and each challenge's phase last told

Revision ID: hooks01
Revises: qa01
Created: 2026-12-07 07:40:00+00:00

webhook_deliveries.event grows to 40 characters (campaign_response_recorded is 26), deliveries say whether they are
tests, and challenges remember the phase last sent to webhooks (challenge_phase_changed). Existing challenges start
at the phase they are in now, so the first sweep tells no change that happened before this revision.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "hooks01"
down_revision: str | None = "qa01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.alter_column(
            "event",
            existing_type=sa.Enum(native_enum=False, length=20),
            type_=sa.Enum(native_enum=False, length=40),
            existing_nullable=False,
        )
        batch_op.add_column(sa.Column("is_test", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("challenges", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("emitted_phase", sa.Enum(native_enum=False, length=20), nullable=False, server_default="draft")
        )
    now = datetime.now(UTC)
    op.get_bind().execute(
        sa.text(
            "UPDATE challenges SET emitted_phase = CASE "
            "WHEN status = 'draft' THEN 'draft' "
            "WHEN status = 'winners_announced' THEN 'winners_announced' "
            "WHEN :now < submissions_open_at THEN 'upcoming' "
            "WHEN :now < submissions_close_at THEN 'submissions_open' "
            "WHEN :now < scoring_close_at THEN 'scoring' "
            "ELSE 'closed' END"
        ).bindparams(sa.bindparam("now", now, type_=sa.DateTime(timezone=True)))
    )
    # The defaults served the rows that existed; new rows get theirs from the models.
    with op.batch_alter_table("challenges", schema=None) as batch_op:
        batch_op.alter_column("emitted_phase", server_default=None)
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.alter_column("is_test", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("challenges", schema=None) as batch_op:
        batch_op.drop_column("emitted_phase")
    op.execute("DELETE FROM webhook_deliveries WHERE length(event) > 20")
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_column("is_test")
        batch_op.alter_column(
            "event",
            existing_type=sa.Enum(native_enum=False, length=40),
            type_=sa.Enum(native_enum=False, length=20),
            existing_nullable=False,
        )
