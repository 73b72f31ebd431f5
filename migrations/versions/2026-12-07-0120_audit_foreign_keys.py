"""The audit log's foreign keys say what happens on deletion: ON DELETE RESTRICT (see AuditEntry's docstring)

Revision ID: leftovers03
Revises: leftovers02
Created: 2026-12-07 01:20:00+00:00

On SQLite the batch mode rebuilds audit_entries, which drops its append-only triggers with the old table: they are
made again at the end, exactly as the moderation migration made them.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "leftovers03"
down_revision: str | None = "leftovers02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, constrained column, referred table)
_FOREIGN_KEYS = (
    ("audit_entries", "community_id", "communities"),
    ("audit_entries", "actor_id", "users"),
    ("audit_entries", "target_user_id", "users"),
    ("appeals", "audit_entry_id", "audit_entries"),
)
_SQLITE_GUARDS = (
    "CREATE TRIGGER IF NOT EXISTS audit_entries_no_update BEFORE UPDATE ON audit_entries "
    "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_entries_no_delete BEFORE DELETE ON audit_entries "
    "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END",
)


def _set_on_delete(on_delete: str | None) -> None:
    for table in ("audit_entries", "appeals"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for source, column, referred in _FOREIGN_KEYS:
                if source != table:
                    continue
                name = f"fk_{table}_{column}_{referred}"
                batch_op.drop_constraint(name, type_="foreignkey")
                batch_op.create_foreign_key(name, referred, [column], ["id"], ondelete=on_delete)
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_GUARDS:
            op.execute(statement)


def upgrade() -> None:
    _set_on_delete("RESTRICT")


def downgrade() -> None:
    _set_on_delete(None)
