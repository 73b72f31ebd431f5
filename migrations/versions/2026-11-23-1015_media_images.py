"""Media images: uploaded originals, their display and thumbnail renditions, and perceptual hashes

Revision ID: media0001
Revises: 1bb3c85254b4
Created: 2026-11-23 10:15:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


import app.columns

revision: str = 'media0001'
down_revision: str | None = '1bb3c85254b4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('media_images',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('original_key', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('display_key', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('thumbnail_key', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('format', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('byte_size', sa.Integer(), nullable=False),
    sa.Column('perceptual_hash', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_media_images_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_images'))
    )
    with op.batch_alter_table('media_images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_images_perceptual_hash'), ['perceptual_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_media_images_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_media_images_uploaded_by_id'), ['uploaded_by_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('media_images', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_images_uploaded_by_id'))
        batch_op.drop_index(batch_op.f('ix_media_images_sha256'))
        batch_op.drop_index(batch_op.f('ix_media_images_perceptual_hash'))

    op.drop_table('media_images')
