"""A challenge's score totals move from its row to challenge_score_shards (summed on read)

Revision ID: scorepg01
Revises: leftovers03
Created: 2026-12-07 05:30:00+00:00

Every score added to challenges.score_count and score_sum, so on PostgreSQL concurrent scorers queued on the
challenge's row lock. The totals become shards that each score adds to by voter (app.challenges.models
ChallengeScoreShard); the existing totals are carried over as shard 0, then the columns are dropped.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "scorepg01"
down_revision: str | None = "leftovers03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "challenge_score_shards",
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("shard", sa.Integer(), nullable=False),
        sa.Column("score_count", sa.Integer(), nullable=False),
        sa.Column("score_sum", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenges.id"],
            name=op.f("fk_challenge_score_shards_challenge_id_challenges"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("challenge_id", "shard", name=op.f("pk_challenge_score_shards")),
    )
    op.execute(
        "INSERT INTO challenge_score_shards (challenge_id, shard, score_count, score_sum) "
        "SELECT id, 0, score_count, score_sum FROM challenges WHERE score_count != 0 OR score_sum != 0"
    )
    with op.batch_alter_table("challenges", schema=None) as batch_op:
        batch_op.drop_column("score_sum")
        batch_op.drop_column("score_count")


def downgrade() -> None:
    with op.batch_alter_table("challenges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("score_count", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("score_sum", sa.Integer(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE challenges SET "
        "score_count = (SELECT coalesce(sum(score_count), 0) FROM challenge_score_shards AS s "
        "WHERE s.challenge_id = challenges.id), "
        "score_sum = (SELECT coalesce(sum(score_sum), 0) FROM challenge_score_shards AS s "
        "WHERE s.challenge_id = challenges.id)"
    )
    op.drop_table("challenge_score_shards")
