"""Campaign insights: each survey response's answer keys, the chart posted with a campaign's outcome, indexes and
statistics for campaign segments

Revision ID: insights02
Revises: moderation02
Created: 2026-11-23 16:00:00+00:00
"""

from collections.abc import Iterator, Sequence
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "insights02"
down_revision: str | None = "moderation02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As app.surveys when this revision was written: kinds whose keys carry ANSWERED, and those counted as numbers.
ANSWERED_KEY_KINDS = {"multiple_choice", "text", "photo"}
NUMERIC_KINDS = {"rating", "nps", "number"}
BATCH = 5000
STATISTICS = "st_survey_answers_question_id_option_key"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _keys(answers: list[Any]) -> str:
    keys: set[tuple[int, str]] = set()
    for _, question_id, kind, option_key, number_value in answers:
        if option_key is not None:
            keys.add((question_id, option_key))
        elif number_value is not None and kind in NUMERIC_KINDS:
            keys.add((question_id, _number(number_value)))
        if kind in ANSWERED_KEY_KINDS:
            keys.add((question_id, "*"))
    return " ".join(f"{question_id}:{key}" for question_id, key in sorted(keys))


def _backfill(bind: sa.Connection) -> None:
    """The keys of the responses there already, from their answers (as record_response writes them now)."""
    answers = sa.table(
        "survey_answers",
        sa.column("response_id"),
        sa.column("question_id"),
        sa.column("option_key"),
        sa.column("number_value"),
    )
    questions = sa.table("survey_questions", sa.column("id"), sa.column("kind"))
    responses = sa.table("survey_responses", sa.column("id"), sa.column("answer_keys"))
    rows = bind.execute(
        sa.select(
            answers.c.response_id, answers.c.question_id, questions.c.kind, answers.c.option_key, answers.c.number_value
        )
        .join(questions, questions.c.id == answers.c.question_id)
        .order_by(answers.c.response_id)
    )

    def updates() -> Iterator[dict[str, Any]]:
        for response_id, found in groupby(rows, key=lambda row: row[0]):
            yield {"response_id": response_id, "keys": _keys(list(found))}

    statement = (
        sa.update(responses)
        .where(responses.c.id == sa.bindparam("response_id"))
        .values(answer_keys=sa.bindparam("keys"))
    )
    batch: list[dict[str, Any]] = []
    for update in updates():
        batch.append(update)
        if len(batch) == BATCH:
            bind.execute(statement, batch)
            batch = []
    if batch:
        bind.execute(statement, batch)


def upgrade() -> None:
    with op.batch_alter_table("survey_responses") as batch:
        batch.add_column(sa.Column("answer_keys", sa.Text(), server_default=sa.text("''"), nullable=False))
    _backfill(op.get_bind())
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
    if op.get_bind().dialect.name == "postgresql":
        # How often each (question, option) pair occurs: without it PostgreSQL multiplies the two columns'
        # frequencies, guesses a segment's condition at a tenth of its size and picks nested loops.
        op.execute(f"CREATE STATISTICS {STATISTICS} (mcv) ON question_id, option_key FROM survey_answers")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP STATISTICS IF EXISTS {STATISTICS}")
    op.drop_index("ix_campaign_responses_campaign_id_hop", table_name="campaign_responses")
    op.drop_index("ix_campaign_responses_campaign_id_connector_id", table_name="campaign_responses")
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("outcome_chart")
    with op.batch_alter_table("survey_responses") as batch:
        batch.drop_column("answer_keys")
