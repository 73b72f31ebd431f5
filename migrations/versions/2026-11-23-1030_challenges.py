"""Design challenges: challenges, designs, scores and the products winning designs become

Revision ID: challenges01
Revises: media0001
Created: 2026-11-23 10:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


import app.columns

revision: str = 'challenges01'
down_revision: str | None = 'media0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('challenges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('brief', sqlmodel.sql.sqltypes.AutoString(length=20000), nullable=False),
    sa.Column('rules', sqlmodel.sql.sqltypes.AutoString(length=20000), nullable=False),
    sa.Column('product_type', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('prize', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('royalty_terms', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('submissions_open_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submissions_close_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('scoring_close_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('max_designs_per_member', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', 'winners_announced', name='challengestatus', native_enum=False, length=20), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('winners_announced_at', app.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('design_count', sa.Integer(), nullable=False),
    sa.Column('score_count', sa.Integer(), nullable=False),
    sa.Column('score_sum', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_challenges_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_challenges_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenges')),
    sa.UniqueConstraint('community_id', 'slug', name=op.f('uq_challenges_community_id_slug'))
    )
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenges_community_id'), ['community_id'], unique=False)

    op.create_table('designs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('designer_id', sa.Integer(), nullable=False),
    sa.Column('image_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
    sa.Column('tags', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('status', sa.Enum('submitted', 'withdrawn', 'hidden', name='designstatus', native_enum=False, length=20), nullable=False),
    sa.Column('score_count', sa.Integer(), nullable=False),
    sa.Column('score_sum', sa.Integer(), nullable=False),
    sa.Column('buy_count', sa.Integer(), nullable=False),
    sa.Column('bayesian_score', sa.Float(), nullable=False),
    sa.Column('created_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('flagged_near_duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('won_at', app.columns.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_designs_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['designer_id'], ['users.id'], name=op.f('fk_designs_designer_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['flagged_near_duplicate_of_id'], ['designs.id'], name=op.f('fk_designs_flagged_near_duplicate_of_id_designs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['image_id'], ['media_images.id'], name=op.f('fk_designs_image_id_media_images'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_designs'))
    )
    with op.batch_alter_table('designs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_designs_challenge_id'), ['challenge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_designs_designer_id'), ['designer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_designs_image_id'), ['image_id'], unique=False)

    op.create_table('products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('status', sa.Enum('draft', 'live', name='productstatus', native_enum=False, length=20), nullable=False),
    sa.Column('design_id', sa.Integer(), nullable=True),
    sa.Column('designer_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_products_brand_id_brands'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['design_id'], ['designs.id'], name=op.f('fk_products_design_id_designs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['designer_id'], ['users.id'], name=op.f('fk_products_designer_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('design_id', name=op.f('uq_products_design_id'))
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_products_brand_id'), ['brand_id'], unique=False)

    op.create_table('scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('design_id', sa.Integer(), nullable=False),
    sa.Column('voter_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('would_buy', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('value >= 0 AND value <= 5', name=op.f('ck_scores_value_range')),
    sa.ForeignKeyConstraint(['design_id'], ['designs.id'], name=op.f('fk_scores_design_id_designs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['voter_id'], ['users.id'], name=op.f('fk_scores_voter_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scores')),
    sa.UniqueConstraint('design_id', 'voter_id', name=op.f('uq_scores_design_id_voter_id'))
    )
    with op.batch_alter_table('scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scores_design_id'), ['design_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scores_voter_id'), ['voter_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scores_voter_id'))
        batch_op.drop_index(batch_op.f('ix_scores_design_id'))

    op.drop_table('scores')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_brand_id'))

    op.drop_table('products')
    with op.batch_alter_table('designs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_designs_image_id'))
        batch_op.drop_index(batch_op.f('ix_designs_designer_id'))
        batch_op.drop_index(batch_op.f('ix_designs_challenge_id'))

    op.drop_table('designs')
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_challenges_community_id'))

    op.drop_table('challenges')
