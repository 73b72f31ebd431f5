"""Login sessions keep the network and a keyed hash of the address, no longer the raw IP address

Revision ID: leftovers02
Revises: leftovers01
Created: 2026-12-07 01:10:00+00:00

Existing rows are converted here with the site's secret key (as app.moderation.fingerprints hashes them at login),
so no raw address outlives the upgrade. The downgrade cannot give the addresses back: it restores the column with
the network in it, the nearest thing left.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from app.moderation import fingerprints

revision: str = "leftovers02"
down_revision: str | None = "leftovers01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_sessions = sa.table(
    "user_sessions",
    sa.column("id", sa.Integer()),
    sa.column("ip_address", sa.String()),
    sa.column("network", sa.String()),
    sa.column("address_hash", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("network", sqlmodel.sql.sqltypes.AutoString(length=45), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("address_hash", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False, server_default="")
        )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_sessions.c.id, _sessions.c.ip_address).where(_sessions.c.ip_address != "")
    ).all()
    for session_id, ip_address in rows:
        connection.execute(
            _sessions.update()
            .where(_sessions.c.id == session_id)
            .values(
                network=fingerprints.network_of(ip_address)[:45], address_hash=fingerprints.address_hash(ip_address)
            )
        )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_column("ip_address")
        batch_op.alter_column("network", server_default=None)
        batch_op.alter_column("address_hash", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ip_address", sqlmodel.sql.sqltypes.AutoString(length=45), nullable=False, server_default="")
        )
    op.execute("UPDATE user_sessions SET ip_address = network")
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.alter_column("ip_address", server_default=None)
        batch_op.drop_column("address_hash")
        batch_op.drop_column("network")
