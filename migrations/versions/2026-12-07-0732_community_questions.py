"""Community Q&A: questions, answers, answer votes, question follows, the community's Q&A setting, and full-text search

Revision ID: qa01
Revises: follow01
Created: 2026-12-07 07:32:15+00:00

Besides the tables, full-text search over questions (app/questions/search.py), as the ideas migration made it for
ideas: on SQLite an FTS5 table ``questions_fts`` kept in step with ``questions`` by triggers (external content); on
PostgreSQL a stored generated tsvector column ``search_vector`` (title weighted A, body B) with a GIN index. Neither
is in the models' metadata: migrations/env.py and tests/test_migrations.py leave them out of the comparison.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.columns

revision: str = "qa01"
down_revision: str | None = "follow01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Keep in step with app/questions/search.py. Each trigger forgets the old row's words ('delete') before indexing anew.
SQLITE_FTS = [
    "CREATE VIRTUAL TABLE questions_fts USING fts5("
    "title, body, content='questions', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER questions_fts_after_insert AFTER INSERT ON questions BEGIN "
    "INSERT INTO questions_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER questions_fts_after_delete AFTER DELETE ON questions BEGIN "
    "INSERT INTO questions_fts(questions_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER questions_fts_after_update AFTER UPDATE OF title, body ON questions BEGIN "
    "INSERT INTO questions_fts(questions_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO questions_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
]
POSTGRESQL_FTS = [
    "ALTER TABLE questions ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')) STORED",
    "CREATE INDEX ix_questions_search ON questions USING gin (search_vector)",
]


def upgrade() -> None:
    op.create_table(
        "question_settings",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("visitors_may_ask", sa.Boolean(), nullable=False),
        sa.Column("updated_at", app.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("community_id"),
    )
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("visitor_name", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=150), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
        sa.Column("hidden_at", app.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", app.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answer_count", sa.Integer(), nullable=False),
        sa.Column("follower_count", sa.Integer(), nullable=False),
        sa.Column("accepted_at", app.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acceptance_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_questions_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_questions_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index("ix_questions_community_id_answer_count", ["community_id", "answer_count"], unique=False)
        batch_op.create_index("ix_questions_community_id_created_at", ["community_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_questions_product_id"), ["product_id"], unique=False)

    op.create_table(
        "answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
        sa.Column("by_staff", sa.Boolean(), nullable=False),
        sa.Column("vote_count", sa.Integer(), nullable=False),
        sa.Column("accepted_at", app.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("accepted_by_id", sa.Integer(), nullable=True),
        sa.Column("points_award_id", sa.Integer(), nullable=True),
        sa.Column("hidden_at", app.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", app.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["accepted_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["points_award_id"], ["points_awards.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_answers_author_id"), ["author_id"], unique=False)
        batch_op.create_index(
            "ix_answers_one_accepted",
            ["question_id"],
            unique=True,
            sqlite_where=sa.text("accepted_at IS NOT NULL"),
            postgresql_where=sa.text("accepted_at IS NOT NULL"),
        )
        batch_op.create_index(batch_op.f("ix_answers_question_id"), ["question_id"], unique=False)

    op.create_table(
        "question_follows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", app.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("question_id", "user_id"),
    )
    with op.batch_alter_table("question_follows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_question_follows_question_id"), ["question_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_question_follows_user_id"), ["user_id"], unique=False)

    op.create_table(
        "answer_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=False),
        sa.Column("created_at", app.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["answer_id"], ["answers.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["voter_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("answer_id", "voter_id"),
    )
    with op.batch_alter_table("answer_votes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_answer_votes_answer_id"), ["answer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_answer_votes_voter_id"), ["voter_id"], unique=False)

    for statement in POSTGRESQL_FTS if op.get_bind().dialect.name == "postgresql" else SQLITE_FTS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_questions_search")
        op.execute("ALTER TABLE questions DROP COLUMN search_vector")
    else:
        for trigger in ("after_insert", "after_delete", "after_update"):
            op.execute(f"DROP TRIGGER questions_fts_{trigger}")
        op.execute("DROP TABLE questions_fts")
    with op.batch_alter_table("answer_votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answer_votes_voter_id"))
        batch_op.drop_index(batch_op.f("ix_answer_votes_answer_id"))

    op.drop_table("answer_votes")
    with op.batch_alter_table("question_follows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_follows_user_id"))
        batch_op.drop_index(batch_op.f("ix_question_follows_question_id"))

    op.drop_table("question_follows")
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answers_question_id"))
        batch_op.drop_index(
            "ix_answers_one_accepted",
            sqlite_where=sa.text("accepted_at IS NOT NULL"),
            postgresql_where=sa.text("accepted_at IS NOT NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_answers_author_id"))

    op.drop_table("answers")
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_questions_product_id"))
        batch_op.drop_index("ix_questions_community_id_created_at")
        batch_op.drop_index("ix_questions_community_id_answer_count")
        batch_op.drop_index(batch_op.f("ix_questions_campaign_id"))
        batch_op.drop_index(batch_op.f("ix_questions_author_id"))

    op.drop_table("questions")
    op.drop_table("question_settings")
