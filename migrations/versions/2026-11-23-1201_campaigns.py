"""Sampling campaigns: applications, kits, shipments, share links, roundtables

Revision ID: campaigns01
Revises: surveys01
Created: 2026-11-23 12:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.columns

revision: str = "campaigns01"
down_revision: str | None = "surveys01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('product_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('brief', sqlmodel.sql.sqltypes.AutoString(length=20000), nullable=False),
    sa.Column('kit_contents', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('kit_count', sa.Integer(), nullable=False),
    sa.Column('samples_per_kit', sa.Integer(), nullable=False),
    sa.Column('target_network_size', sa.Integer(), nullable=False),
    sa.Column('eligibility_questions', sa.JSON(), nullable=False),
    sa.Column('apply_opens_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('apply_closes_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ship_closes_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('share_closes_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('feedback_closes_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', name='campaignstatus', native_enum=False, length=20), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('roundtable_at', app.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('roundtable_details', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=20000), nullable=False),
    sa.Column('outcome_posted_at', app.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('application_count', sa.Integer(), nullable=False),
    sa.Column('kits_accepted', sa.Integer(), nullable=False),
    sa.CheckConstraint('kits_accepted >= 0 AND kits_accepted <= kit_count', name=op.f('ck_campaigns_kit_inventory')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_campaigns_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_campaigns_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_campaigns_survey_id_surveys'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns')),
    sa.UniqueConstraint('community_id', 'slug', name=op.f('uq_campaigns_community_id_slug'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaigns_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaigns_survey_id'), ['survey_id'], unique=False)

    op.create_table('campaign_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('applied', 'accepted', 'waitlisted', 'declined', 'withdrawn', name='applicationstatus', native_enum=False, length=20), nullable=False),
    sa.Column('network_size', sa.Integer(), nullable=False),
    sa.Column('eligibility_answers', sa.JSON(), nullable=False),
    sa.Column('eligible', sa.Boolean(), nullable=False),
    sa.Column('motivation', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('recipient_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('address_line1', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('address_line2', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('city', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('postcode', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('household_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('samples_passed_on', sa.Integer(), nullable=False),
    sa.Column('created_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', app.columns.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_applications_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_campaign_applications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_applications')),
    sa.UniqueConstraint('campaign_id', 'household_key', name=op.f('uq_campaign_applications_campaign_id_household_key')),
    sa.UniqueConstraint('campaign_id', 'user_id', name=op.f('uq_campaign_applications_campaign_id_user_id'))
    )
    with op.batch_alter_table('campaign_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_applications_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_applications_user_id'), ['user_id'], unique=False)

    op.create_table('connector_reach',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('connector_id', sa.Integer(), nullable=False),
    sa.Column('hop', sa.Integer(), nullable=False),
    sa.Column('open_count', sa.Integer(), nullable=False),
    sa.Column('response_count', sa.Integer(), nullable=False),
    sa.Column('signup_count', sa.Integer(), nullable=False),
    sa.Column('share_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_connector_reach_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['connector_id'], ['users.id'], name=op.f('fk_connector_reach_connector_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connector_reach')),
    sa.UniqueConstraint('campaign_id', 'connector_id', 'hop', name=op.f('uq_connector_reach_campaign_id_connector_id_hop'))
    )
    with op.batch_alter_table('connector_reach', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_connector_reach_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_connector_reach_connector_id'), ['connector_id'], unique=False)

    op.create_table('roundtable_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('rsvp', sa.Enum('pending', 'attending', 'declined', name='rsvp', native_enum=False, length=20), nullable=False),
    sa.Column('invited_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answered_at', app.columns.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_roundtable_invitations_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_roundtable_invitations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roundtable_invitations')),
    sa.UniqueConstraint('campaign_id', 'user_id', name=op.f('uq_roundtable_invitations_campaign_id_user_id'))
    )
    with op.batch_alter_table('roundtable_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roundtable_invitations_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_roundtable_invitations_user_id'), ['user_id'], unique=False)

    op.create_table('share_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('connector_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('hop', sa.Integer(), nullable=False),
    sa.Column('created_by_response_id', sa.Integer(), nullable=True),
    sa.Column('open_count', sa.Integer(), nullable=False),
    sa.Column('response_count', sa.Integer(), nullable=False),
    sa.Column('signup_count', sa.Integer(), nullable=False),
    sa.Column('share_count', sa.Integer(), nullable=False),
    sa.Column('created_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_share_links_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['connector_id'], ['users.id'], name=op.f('fk_share_links_connector_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['share_links.id'], name=op.f('fk_share_links_parent_id_share_links'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_links')),
    sa.UniqueConstraint('code', name=op.f('uq_share_links_code')),
    sa.UniqueConstraint('created_by_response_id', name=op.f('uq_share_links_created_by_response_id'))
    )
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_links_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_links_connector_id'), ['connector_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_links_parent_id'), ['parent_id'], unique=False)

    op.create_table('campaign_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('survey_response_id', sa.Integer(), nullable=False),
    sa.Column('share_link_id', sa.Integer(), nullable=False),
    sa.Column('connector_id', sa.Integer(), nullable=False),
    sa.Column('hop', sa.Integer(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('consent', sa.Boolean(), nullable=False),
    sa.Column('device_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_responses_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['connector_id'], ['users.id'], name=op.f('fk_campaign_responses_connector_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['share_link_id'], ['share_links.id'], name=op.f('fk_campaign_responses_share_link_id_share_links'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['survey_response_id'], ['survey_responses.id'], name=op.f('fk_campaign_responses_survey_response_id_survey_responses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_campaign_responses_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_responses')),
    sa.UniqueConstraint('campaign_id', 'device_hash', name=op.f('uq_campaign_responses_campaign_id_device_hash')),
    sa.UniqueConstraint('campaign_id', 'email', name=op.f('uq_campaign_responses_campaign_id_email')),
    sa.UniqueConstraint('survey_response_id', name=op.f('uq_campaign_responses_survey_response_id'))
    )
    with op.batch_alter_table('campaign_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_responses_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_responses_connector_id'), ['connector_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_responses_share_link_id'), ['share_link_id'], unique=False)

    op.create_table('kit_shipments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'shipped', 'delivered', 'problem', name='shipmentstatus', native_enum=False, length=20), nullable=False),
    sa.Column('carrier', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('tracking_number', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('problem', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('shipped_at', app.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', app.columns.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['campaign_applications.id'], name=op.f('fk_kit_shipments_application_id_campaign_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_kit_shipments_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kit_shipments')),
    sa.UniqueConstraint('application_id', name=op.f('uq_kit_shipments_application_id'))
    )
    with op.batch_alter_table('kit_shipments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kit_shipments_campaign_id'), ['campaign_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('campaign_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_responses_share_link_id'))
        batch_op.drop_index(batch_op.f('ix_campaign_responses_connector_id'))
        batch_op.drop_index(batch_op.f('ix_campaign_responses_campaign_id'))

    op.drop_table('campaign_responses')
    with op.batch_alter_table('kit_shipments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kit_shipments_campaign_id'))

    op.drop_table('kit_shipments')
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_links_parent_id'))
        batch_op.drop_index(batch_op.f('ix_share_links_connector_id'))
        batch_op.drop_index(batch_op.f('ix_share_links_campaign_id'))

    op.drop_table('share_links')
    with op.batch_alter_table('roundtable_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roundtable_invitations_user_id'))
        batch_op.drop_index(batch_op.f('ix_roundtable_invitations_campaign_id'))

    op.drop_table('roundtable_invitations')
    with op.batch_alter_table('connector_reach', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_connector_reach_connector_id'))
        batch_op.drop_index(batch_op.f('ix_connector_reach_campaign_id'))

    op.drop_table('connector_reach')
    with op.batch_alter_table('campaign_applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_applications_user_id'))
        batch_op.drop_index(batch_op.f('ix_campaign_applications_campaign_id'))

    op.drop_table('campaign_applications')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaigns_survey_id'))
        batch_op.drop_index(batch_op.f('ix_campaigns_community_id'))

    op.drop_table('campaigns')
