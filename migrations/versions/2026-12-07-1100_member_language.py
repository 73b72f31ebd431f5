"""The member's language: a person's language and time zone, a community's default language

Revision ID: i18n01
Revises: cmptot01
Created: 2026-12-07 11:00:00+00:00

Both of a person's settings start empty (the browser's language and UTC apply); communities start in English.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i18n01"
down_revision: str | None = "cmptot01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy of the tables: SQLite's triggers on other tables name them).
    op.add_column("users", sa.Column("locale", sa.String(length=8), nullable=True))
    op.add_column("users", sa.Column("time_zone", sa.String(length=64), nullable=True))
    op.add_column("communities", sa.Column("default_locale", sa.String(length=8), nullable=False, server_default="en"))


def downgrade() -> None:
    op.drop_column("communities", "default_locale")
    op.drop_column("users", "time_zone")
    op.drop_column("users", "locale")
