"""Survey questions in other languages: each question's prompt, help text and option labels per language

Revision ID: qtrans01
Revises: i18n01
Created: 2026-12-07 12:00:00+00:00

Existing questions start without translations (every respondent sees the original).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "qtrans01"
down_revision: str | None = "i18n01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows start empty; new ones always name theirs (as for the options), so no default stays behind.
    with op.batch_alter_table("survey_questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("translations", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("survey_questions", schema=None) as batch_op:
        batch_op.alter_column("translations", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("survey_questions", schema=None) as batch_op:
        batch_op.drop_column("translations")
