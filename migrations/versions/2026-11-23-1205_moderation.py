"""Moderation: reports, sanctions, audit log, appeals and vote integrity

Revision ID: moderation01
Revises: notify01
Created: 2026-11-23 12:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


import app.columns

revision: str = "moderation01"
down_revision: str | None = "notify01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The audit log is append-only: the database refuses to change or delete its rows, whatever the code does.
_SQLITE_GUARDS = (
    "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
    "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END",
    "CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries "
    "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END",
)
_POSTGRESQL_GUARDS = (
    "CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit_entries is append-only'; END $$",
    "CREATE TRIGGER audit_entries_no_change BEFORE UPDATE OR DELETE ON audit_entries "
    "FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()",
    "CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()",
)


def _create_guards() -> None:
    dialect = op.get_bind().dialect.name
    for statement in _POSTGRESQL_GUARDS if dialect == "postgresql" else _SQLITE_GUARDS:
        op.execute(statement)


def _drop_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_truncate ON audit_entries")
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_change ON audit_entries")
        op.execute("DROP FUNCTION IF EXISTS audit_entries_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_delete")


def upgrade() -> None:
    op.create_table(
        "member_fingerprints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("network_hash", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("device_hash", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("first_seen_at", app.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "network_hash", "device_hash"),
    )
    with op.batch_alter_table("member_fingerprints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_fingerprints_user_id"), ["user_id"], unique=False)

    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column(
            "action",
            sa.Enum(
                "hide",
                "restore",
                "remove",
                "auto_hide",
                "hold",
                "warning",
                "suspension",
                "ban",
                "lift_sanction",
                "site_ban",
                "appeal_granted",
                "appeal_rejected",
                "discount",
                "restore_discount",
                "update_settings",
                "delete_account",
                name="auditaction",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("subject_kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("target_user_id", sa.Integer(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("created_at", app.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
        ),
        sa.ForeignKeyConstraint(
            ["target_user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entries_community_id_created_at", ["community_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entries_target_user_id"), ["target_user_id"], unique=False)

    op.create_table(
        "moderation_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column(
            "subject_kind",
            sa.Enum("design", "comment", "profile", name="subjectkind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("excerpt", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("link", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column(
            "flag",
            sa.Enum(
                "reported",
                "near_duplicate",
                "premoderation",
                "blocked_word",
                name="itemflag",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("open", "held", "hidden", "removed", "restored", name="itemstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("report_count", sa.Integer(), nullable=False),
        sa.Column("created_at", app.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", app.columns.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "subject_kind", "subject_id"),
    )
    with op.batch_alter_table("moderation_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_moderation_items_author_id"), ["author_id"], unique=False)
        batch_op.create_index("ix_moderation_items_community_id_status", ["community_id", "status"], unique=False)

    op.create_table(
        "moderation_settings",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("auto_hide_threshold", sa.Integer(), nullable=False),
        sa.Column("premoderation", sa.Boolean(), nullable=False),
        sa.Column("premoderation_posts", sa.Integer(), nullable=False),
        sa.Column("premoderation_since", app.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("blocked_words", sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
        sa.Column("updated_at", app.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("community_id"),
    )
    op.create_table(
        "sanctions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("warning", "suspension", "ban", name="sanctionkind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", app.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lifted_at", app.columns.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sanctions", schema=None) as batch_op:
        batch_op.create_index("ix_sanctions_community_id_user_id", ["community_id", "user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sanctions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_entry_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("appellant_id", sa.Integer(), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "granted", "rejected", name="appealstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("created_at", app.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", app.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.ForeignKeyConstraint(["appellant_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["audit_entry_id"],
            ["audit_entries.id"],
        ),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("audit_entry_id"),
    )
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appeals_appellant_id"), ["appellant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_appeals_community_id"), ["community_id"], unique=False)

    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "spam",
                "offensive",
                "stolen_art",
                "off_topic",
                "other",
                name="reportreason",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_at", app.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["moderation_items.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reporter_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "reporter_id"),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reports_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_reporter_id"), ["reporter_id"], unique=False)

    op.create_table(
        "score_discounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.columns.UTCDateTime(timezone=True), nullable=False),
        sa.Column("restored_at", app.columns.UTCDateTime(timezone=True), nullable=True),
        sa.Column("restored_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["challenge_id"], ["challenges.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["restored_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("score_discounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_score_discounts_challenge_id"), ["challenge_id"], unique=False)

    op.create_table(
        "discounted_voters",
        sa.Column("discount_id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["discount_id"], ["score_discounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["voter_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("discount_id", "voter_id"),
    )
    with op.batch_alter_table("discounted_voters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_discounted_voters_voter_id"), ["voter_id"], unique=False)

    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hidden_at", app.columns.UTCDateTime(timezone=True), nullable=True))
    _create_guards()


def downgrade() -> None:
    _drop_guards()
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_column("hidden_at")

    with op.batch_alter_table("discounted_voters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_discounted_voters_voter_id"))

    op.drop_table("discounted_voters")
    with op.batch_alter_table("score_discounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_score_discounts_challenge_id"))

    op.drop_table("score_discounts")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reports_reporter_id"))
        batch_op.drop_index(batch_op.f("ix_reports_item_id"))

    op.drop_table("reports")
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appeals_community_id"))
        batch_op.drop_index(batch_op.f("ix_appeals_appellant_id"))

    op.drop_table("appeals")
    with op.batch_alter_table("sanctions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sanctions_user_id"))
        batch_op.drop_index("ix_sanctions_community_id_user_id")

    op.drop_table("sanctions")
    op.drop_table("moderation_settings")
    with op.batch_alter_table("moderation_items", schema=None) as batch_op:
        batch_op.drop_index("ix_moderation_items_community_id_status")
        batch_op.drop_index(batch_op.f("ix_moderation_items_author_id"))

    op.drop_table("moderation_items")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entries_target_user_id"))
        batch_op.drop_index("ix_audit_entries_community_id_created_at")

    op.drop_table("audit_entries")
    with op.batch_alter_table("member_fingerprints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_fingerprints_user_id"))

    op.drop_table("member_fingerprints")
