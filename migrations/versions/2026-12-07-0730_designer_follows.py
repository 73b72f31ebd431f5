"""Designers' followers, full-text search over designs, and products' store links

Revision ID: follow01
Revises: review01
Created: 2026-12-07 07:30:00+00:00

Members follow designers (``designer_follows``, one row per pair). Products gain ``store_url``, where the brand's
store sells them (the designer's shop links there).

Full-text search over designs (app/challenges/search.py), like the ideas' (2026-11-23-1203_ideas.py) but with the
designer's name and the tags as well. A designer's name lives in ``users``, which a generated column cannot read, so:
- SQLite: an FTS5 table ``designs_fts`` holding its own copy of the text (title, description, tags, designer) with
  rowid = the design's id, kept in step by triggers on ``designs`` and on renames in ``users``;
- PostgreSQL: a tsvector column ``designs.search_vector`` (title A, tags and designer B, description C) written by a
  BEFORE trigger when a design's text or designer changes (not on score updates: the trigger names its columns), a
  trigger on ``users`` that rewrites it for a renamed designer's designs, and the GIN index ``ix_designs_search``.
None of them is in the models' metadata: migrations/env.py and tests/test_migrations.py leave them out.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.columns

revision: str = "follow01"
down_revision: str | None = "review01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Keep in step with app/challenges/search.py.
# The same INSERT in two triggers, written out in each (no SQL is assembled from pieces).
SQLITE_FTS = [
    "CREATE VIRTUAL TABLE designs_fts USING fts5("
    "title, description, tags, designer, tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER designs_fts_after_insert AFTER INSERT ON designs BEGIN "
    "INSERT INTO designs_fts(rowid, title, description, tags, designer) "
    "VALUES (new.id, new.title, new.description, replace(new.tags, ',', ' '), "
    "(SELECT users.display_name || ' ' || users.handle FROM users WHERE users.id = new.designer_id)); END",
    "CREATE TRIGGER designs_fts_after_delete AFTER DELETE ON designs BEGIN "
    "DELETE FROM designs_fts WHERE rowid = old.id; END",
    "CREATE TRIGGER designs_fts_after_update AFTER UPDATE OF title, description, tags, designer_id ON designs BEGIN "
    "DELETE FROM designs_fts WHERE rowid = old.id; "
    "INSERT INTO designs_fts(rowid, title, description, tags, designer) "
    "VALUES (new.id, new.title, new.description, replace(new.tags, ',', ' '), "
    "(SELECT users.display_name || ' ' || users.handle FROM users WHERE users.id = new.designer_id)); END",
    "CREATE TRIGGER designs_fts_designer_renamed AFTER UPDATE OF display_name, handle ON users BEGIN "
    "UPDATE designs_fts SET designer = new.display_name || ' ' || new.handle "
    "WHERE rowid IN (SELECT designs.id FROM designs WHERE designs.designer_id = new.id); END",
    "INSERT INTO designs_fts(rowid, title, description, tags, designer) "
    "SELECT designs.id, designs.title, designs.description, replace(designs.tags, ',', ' '), "
    "users.display_name || ' ' || users.handle FROM designs JOIN users ON users.id = designs.designer_id",
]
POSTGRESQL_FTS = [
    "ALTER TABLE designs ADD COLUMN search_vector tsvector",
    "CREATE FUNCTION designs_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "NEW.search_vector := setweight(to_tsvector('english', NEW.title), 'A') "
    "|| setweight(to_tsvector('english', replace(NEW.tags, ',', ' ')), 'B') "
    "|| setweight(to_tsvector('english', coalesce((SELECT users.display_name || ' ' || users.handle "
    "FROM users WHERE users.id = NEW.designer_id), '')), 'B') "
    "|| setweight(to_tsvector('english', NEW.description), 'C'); "
    "RETURN NEW; END $$",
    "CREATE TRIGGER designs_search_vector BEFORE INSERT OR UPDATE OF title, description, tags, designer_id "
    "ON designs FOR EACH ROW EXECUTE FUNCTION designs_search_vector()",
    "CREATE FUNCTION designs_designer_renamed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "UPDATE designs SET designer_id = designer_id WHERE designer_id = NEW.id; RETURN NULL; END $$",
    "CREATE TRIGGER designs_designer_renamed AFTER UPDATE OF display_name, handle ON users FOR EACH ROW "
    "WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name OR OLD.handle IS DISTINCT FROM NEW.handle) "
    "EXECUTE FUNCTION designs_designer_renamed()",
    # Fills the column of the designs already there, through the trigger.
    "UPDATE designs SET designer_id = designer_id",
    "CREATE INDEX ix_designs_search ON designs USING gin (search_vector)",
]


def upgrade() -> None:
    op.create_table(
        "designer_follows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("follower_id", sa.Integer(), nullable=False),
        sa.Column("designer_id", sa.Integer(), nullable=False),
        sa.Column("created_at", app.columns.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("follower_id <> designer_id", name=op.f("ck_designer_follows_not_oneself")),
        sa.ForeignKeyConstraint(
            ["designer_id"], ["users.id"], name=op.f("fk_designer_follows_designer_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["follower_id"], ["users.id"], name=op.f("fk_designer_follows_follower_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_designer_follows")),
        sa.UniqueConstraint("follower_id", "designer_id", name=op.f("uq_designer_follows_follower_id_designer_id")),
    )
    with op.batch_alter_table("designer_follows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_designer_follows_designer_id"), ["designer_id"], unique=False)
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("store_url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False, server_default="")
        )
    # The default only filled the existing rows; the application always writes the column.
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.alter_column("store_url", server_default=None)

    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_FTS if sqlite else POSTGRESQL_FTS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("after_insert", "after_delete", "after_update", "designer_renamed"):
            op.execute(f"DROP TRIGGER designs_fts_{trigger}")
        op.execute("DROP TABLE designs_fts")
    else:
        op.execute("DROP TRIGGER designs_designer_renamed ON users")
        op.execute("DROP FUNCTION designs_designer_renamed()")
        op.execute("DROP INDEX ix_designs_search")
        op.execute("DROP TRIGGER designs_search_vector ON designs")
        op.execute("DROP FUNCTION designs_search_vector()")
        op.execute("ALTER TABLE designs DROP COLUMN search_vector")

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("store_url")
    with op.batch_alter_table("designer_follows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_designer_follows_designer_id"))
    op.drop_table("designer_follows")
