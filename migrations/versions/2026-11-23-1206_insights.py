"""Brand insights: rollups for campaign, challenge and community results

Revision ID: insights01
Revises: moderation01
Created: 2026-11-23 12:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "insights01"
down_revision: str | None = "moderation01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_scores_design_id_created_at", "scores", ["design_id", "created_at"], unique=False)
    op.create_index("ix_memberships_community_id_joined_at", "memberships", ["community_id", "joined_at"], unique=False)
    op.create_index("ix_comments_design_id_created_at", "comments", ["design_id", "created_at"], unique=False)
    op.create_index(
        "ix_survey_answers_response_id_question_id",
        "survey_answers",
        ["response_id", "question_id", "option_key", "number_value"],
        unique=False,
    )
    op.create_index(
        "ix_survey_answers_question_id_option_key",
        "survey_answers",
        ["question_id", "option_key", "number_value", "response_id"],
        unique=False,
    )
    op.create_index(
        "ix_survey_responses_survey_id_submitted_at", "survey_responses", ["survey_id", "submitted_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_survey_responses_survey_id_submitted_at", table_name="survey_responses")
    op.drop_index("ix_survey_answers_question_id_option_key", table_name="survey_answers")
    op.drop_index("ix_survey_answers_response_id_question_id", table_name="survey_answers")
    op.drop_index("ix_comments_design_id_created_at", table_name="comments")
    op.drop_index("ix_memberships_community_id_joined_at", table_name="memberships")
    op.drop_index("ix_scores_design_id_created_at", table_name="scores")
