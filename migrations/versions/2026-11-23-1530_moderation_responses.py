"""Moderation of survey responses (where each was given, hidden ones), and idea comment counts without hidden ones

Revision ID: moderation02
Revises: outbox02
Created: 2026-11-23 15:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.columns

revision: str = "moderation02"
down_revision: str | None = "outbox02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Where the responses so far were given: a campaign's answers in its community; a member's answer (it has a user) in
# the community the survey is published to now, the best record there is of where it was published then. Responses
# the brand's own systems recorded (no user, no campaign) stay outside any community.
_CAMPAIGN_COMMUNITIES = (
    "UPDATE survey_responses SET community_id = ("
    "SELECT campaigns.community_id FROM campaign_responses "
    "JOIN campaigns ON campaigns.id = campaign_responses.campaign_id "
    "WHERE campaign_responses.survey_response_id = survey_responses.id)"
)
_MEMBER_COMMUNITIES = (
    "UPDATE survey_responses SET community_id = ("
    "SELECT surveys.community_id FROM surveys WHERE surveys.id = survey_responses.survey_id) "
    "WHERE community_id IS NULL AND user_id IS NOT NULL"
)
# An idea's comment count is the comments members see: neither deleted nor hidden by moderation.
_RECOUNT_IDEA_COMMENTS = (
    "UPDATE ideas SET comment_count = ("
    "SELECT count(*) FROM comments "
    "WHERE comments.idea_id = ideas.id AND comments.deleted_at IS NULL AND comments.hidden_at IS NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hidden_response_count", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.alter_column("hidden_response_count", server_default=None)
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("community_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("hidden_at", app.columns.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_survey_responses_community_id"), ["community_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_survey_responses_community_id_communities"),
            "communities",
            ["community_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.execute(_CAMPAIGN_COMMUNITIES)
    op.execute(_MEMBER_COMMUNITIES)
    op.execute(_RECOUNT_IDEA_COMMENTS)


def downgrade() -> None:
    hidden = op.get_bind().execute(sa.text("SELECT count(*) FROM survey_responses WHERE hidden_at IS NOT NULL"))
    if hidden.scalar_one():
        # Their answers are off the tallies: without the column they would be shown but counted nowhere.
        raise RuntimeError("Some survey responses are hidden by moderation: restore them before downgrading.")
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_survey_responses_community_id_communities"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_survey_responses_community_id"))
        batch_op.drop_column("hidden_at")
        batch_op.drop_column("community_id")
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_column("hidden_response_count")
