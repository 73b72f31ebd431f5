"""The ideas board: ideas, votes, follows, categories and full-text search

Revision ID: ideas01
Revises: ledger01
Created: 2026-11-23 12:00:00+00:00

Besides the tables, full-text search over ideas (app/ideas/search.py): on SQLite an FTS5 table ``ideas_fts`` kept in
step with ``ideas`` by triggers (external content: it stores only the index); on PostgreSQL a stored generated
tsvector column ``search_vector`` (title weighted A, description B) with a GIN index. Neither is in the models'
metadata: migrations/env.py and tests/test_migrations.py leave them out of the comparison (app/ideas/search.py).
Comments gain ``idea_id`` beside ``design_id``, with a check that exactly one is set.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.columns

revision: str = "ideas01"
down_revision: str | None = "ledger01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FORGET_OLD = (
    "INSERT INTO ideas_fts(ideas_fts, rowid, title, description) "
    "VALUES ('delete', old.id, old.title, old.description); "
)
# Keep in step with app/ideas/search.py.
SQLITE_FTS = [
    "CREATE VIRTUAL TABLE ideas_fts USING fts5("
    "title, description, content='ideas', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER ideas_fts_after_insert AFTER INSERT ON ideas BEGIN "
    "INSERT INTO ideas_fts(rowid, title, description) VALUES (new.id, new.title, new.description); END",
    "CREATE TRIGGER ideas_fts_after_delete AFTER DELETE ON ideas BEGIN " + _FORGET_OLD + "END",
    "CREATE TRIGGER ideas_fts_after_update AFTER UPDATE OF title, description ON ideas BEGIN "
    + _FORGET_OLD
    + "INSERT INTO ideas_fts(rowid, title, description) VALUES (new.id, new.title, new.description); END",
]
POSTGRESQL_FTS = [
    "ALTER TABLE ideas ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', description), 'B')) STORED",
    "CREATE INDEX ix_ideas_search ON ideas USING gin (search_vector)",
]


def upgrade() -> None:
    op.create_table(
        "idea_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("created_at", app.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "slug"),
    )
    with op.batch_alter_table("idea_categories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idea_categories_community_id"), ["community_id"], unique=False)

    op.create_table(
        "ideas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("image_id", sa.Integer(), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
        sa.Column("tags", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "under_review",
                "planned",
                "in_progress",
                "done",
                "declined",
                name="ideastatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("status_changed_at", app.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("response", sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
        sa.Column("response_by_id", sa.Integer(), nullable=True),
        sa.Column("response_at", app.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("merged_at", app.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("hidden_at", app.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", app.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("vote_count", sa.Integer(), nullable=False),
        sa.Column("follower_count", sa.Integer(), nullable=False),
        sa.Column("comment_count", sa.Integer(), nullable=False),
        sa.Column("trending_score", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["category_id"], ["idea_categories.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["image_id"], ["media_images.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["merged_into_id"], ["ideas.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["response_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ideas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ideas_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ideas_category_id"), ["category_id"], unique=False)
        batch_op.create_index("ix_ideas_community_id_status", ["community_id", "status"], unique=False)
        batch_op.create_index("ix_ideas_community_id_trending_score", ["community_id", "trending_score"], unique=False)
        batch_op.create_index("ix_ideas_community_id_vote_count", ["community_id", "vote_count"], unique=False)
        batch_op.create_index(batch_op.f("ix_ideas_image_id"), ["image_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ideas_merged_into_id"), ["merged_into_id"], unique=False)

    op.create_table(
        "idea_follows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", app.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["idea_id"], ["ideas.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idea_id", "user_id"),
    )
    with op.batch_alter_table("idea_follows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idea_follows_idea_id"), ["idea_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_idea_follows_user_id"), ["user_id"], unique=False)

    op.create_table(
        "idea_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=False),
        sa.Column("created_at", app.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["idea_id"], ["ideas.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["voter_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idea_id", "voter_id"),
    )
    with op.batch_alter_table("idea_votes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idea_votes_idea_id"), ["idea_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_idea_votes_voter_id"), ["voter_id"], unique=False)

    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idea_id", sa.Integer(), nullable=True))
        batch_op.alter_column("design_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(batch_op.f("ix_comments_idea_id"), ["idea_id"], unique=False)
        batch_op.create_foreign_key("fk_comments_idea_id_ideas", "ideas", ["idea_id"], ["id"], ondelete="CASCADE")
        batch_op.create_check_constraint(op.f("ck_comments_one_subject"), "(design_id IS NULL) <> (idea_id IS NULL)")

    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_FTS if sqlite else POSTGRESQL_FTS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("after_insert", "after_delete", "after_update"):
            op.execute(f"DROP TRIGGER ideas_fts_{trigger}")
        op.execute("DROP TABLE ideas_fts")
    else:
        op.execute("DROP INDEX ix_ideas_search")
        op.execute("ALTER TABLE ideas DROP COLUMN search_vector")

    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_comments_one_subject"), type_="check")
        batch_op.drop_constraint("fk_comments_idea_id_ideas", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_comments_idea_id"))
        batch_op.alter_column("design_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("idea_id")

    with op.batch_alter_table("idea_votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idea_votes_voter_id"))
        batch_op.drop_index(batch_op.f("ix_idea_votes_idea_id"))

    op.drop_table("idea_votes")
    with op.batch_alter_table("idea_follows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idea_follows_user_id"))
        batch_op.drop_index(batch_op.f("ix_idea_follows_idea_id"))

    op.drop_table("idea_follows")
    with op.batch_alter_table("ideas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ideas_merged_into_id"))
        batch_op.drop_index(batch_op.f("ix_ideas_image_id"))
        batch_op.drop_index("ix_ideas_community_id_vote_count")
        batch_op.drop_index("ix_ideas_community_id_trending_score")
        batch_op.drop_index("ix_ideas_community_id_status")
        batch_op.drop_index(batch_op.f("ix_ideas_category_id"))
        batch_op.drop_index(batch_op.f("ix_ideas_author_id"))

    op.drop_table("ideas")
    with op.batch_alter_table("idea_categories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idea_categories_community_id"))

    op.drop_table("idea_categories")
