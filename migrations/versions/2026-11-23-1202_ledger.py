"""The double-entry ledger, sales, royalties, referrals, points and payouts

Revision ID: ledger01
Revises: campaigns01
Created: 2026-11-23 12:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.columns

revision: str = "ledger01"
down_revision: str | None = "campaigns01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ledger_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('earnings', 'payout_pending', 'points', 'brand_expense', 'brand_paid', 'points_issued', 'points_spent', name='accountkind', native_enum=False, length=20), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('owner_key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('balance_minor', sa.BigInteger(), nullable=False),
    sa.Column('created_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('owner_key')
    )
    with op.batch_alter_table('ledger_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_accounts_brand_id'), ['brand_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_accounts_user_id'), ['user_id'], unique=False)

    op.create_table('ledger_transactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('sale', 'refund', 'points_award', 'redemption', 'payout_lock', 'payout_paid', 'payout_return', 'reversal', name='transactionkind', native_enum=False, length=20), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.Column('posted_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reverses_id'], ['ledger_transactions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key'),
    sa.UniqueConstraint('reverses_id')
    )
    with op.batch_alter_table('ledger_transactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_transactions_brand_id'), ['brand_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_transactions_posted_at'), ['posted_at'], unique=False)

    op.create_table('payout_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('status', sa.Enum('open', 'closed', name='batchstatus', native_enum=False, length=20), nullable=False),
    sa.Column('open_key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('threshold_minor', sa.Integer(), nullable=False),
    sa.Column('hold_days', sa.Integer(), nullable=False),
    sa.Column('cutoff_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('provider', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('exported_at', app.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', app.columns.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('open_key')
    )
    with op.batch_alter_table('payout_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_batches_brand_id'), ['brand_id'], unique=False)

    op.create_table('points_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.Enum('design_submitted', 'first_score', 'survey_answered', 'samples_passed', 'referral_converted', name='pointsaction', native_enum=False, length=20), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('daily_cap', sa.Integer(), nullable=False),
    sa.CheckConstraint('daily_cap > 0', name='daily_cap_positive'),
    sa.CheckConstraint('points > 0', name='points_positive'),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('brand_id', 'action')
    )
    with op.batch_alter_table('points_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_rules_brand_id'), ['brand_id'], unique=False)

    op.create_table('referral_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('click_count', sa.Integer(), nullable=False),
    sa.Column('signup_count', sa.Integer(), nullable=False),
    sa.Column('created_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('brand_id', 'user_id'),
    sa.UniqueConstraint('code')
    )
    with op.batch_alter_table('referral_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_codes_brand_id'), ['brand_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_codes_user_id'), ['user_id'], unique=False)

    op.create_table('reward_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('kind', sa.Enum('discount_code', 'merchandise', name='rewardkind', native_enum=False, length=20), nullable=False),
    sa.Column('points_cost', sa.Integer(), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.Column('created_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('points_cost > 0', name='cost_positive'),
    sa.CheckConstraint('stock >= 0', name='stock_not_negative'),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reward_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reward_items_brand_id'), ['brand_id'], unique=False)

    op.create_table('reward_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('commission_bp', sa.Integer(), nullable=False),
    sa.Column('payout_threshold_minor', sa.Integer(), nullable=False),
    sa.Column('hold_days', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('brand_id')
    )
    op.create_table('ledger_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transaction_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('posted_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['ledger_accounts.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entries_account_id_posted_at', ['account_id', 'posted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_transaction_id'), ['transaction_id'], unique=False)

    op.create_table('payout_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'paid', 'failed', name='linestatus', native_enum=False, length=20), nullable=False),
    sa.Column('lock_transaction_id', sa.Integer(), nullable=False),
    sa.Column('provider_reference', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('failure_reason', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('settled_at', app.columns.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['payout_batches.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lock_transaction_id'], ['ledger_transactions.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('batch_id', 'user_id')
    )
    with op.batch_alter_table('payout_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_lines_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payout_lines_user_id'), ['user_id'], unique=False)

    op.create_table('points_awards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.Enum('design_submitted', 'first_score', 'survey_answered', 'samples_passed', 'referral_converted', name='pointsaction', native_enum=False, length=20), nullable=False),
    sa.Column('source_key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('transaction_id', sa.Integer(), nullable=False),
    sa.Column('created_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('brand_id', 'user_id', 'action', 'source_key')
    )
    with op.batch_alter_table('points_awards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_awards_brand_id'), ['brand_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_awards_user_id'), ['user_id'], unique=False)

    op.create_table('redemptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('request_key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('transaction_id', sa.Integer(), nullable=False),
    sa.Column('created_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['reward_items.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sa.UniqueConstraint('request_key')
    )
    with op.batch_alter_table('redemptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_redemptions_brand_id'), ['brand_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_redemptions_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_redemptions_user_id'), ['user_id'], unique=False)

    op.create_table('referral_signups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_code_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['referral_code_id'], ['referral_codes.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id')
    )
    with op.batch_alter_table('referral_signups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_signups_referral_code_id'), ['referral_code_id'], unique=False)

    op.create_table('product_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('price_minor', sa.Integer(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('royalty_kind', sa.Enum('percent', 'fixed', name='royaltykind', native_enum=False, length=20), nullable=False),
    sa.Column('royalty_bp', sa.Integer(), nullable=False),
    sa.Column('royalty_fixed_minor', sa.Integer(), nullable=False),
    sa.Column('royalty_min_minor', sa.Integer(), nullable=False),
    sa.Column('updated_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('price_minor >= 0', name='price_not_negative'),
    sa.CheckConstraint('royalty_bp >= 0 AND royalty_bp <= 10000', name='royalty_bp_range'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('product_id')
    )
    op.create_table('royalty_splits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('share_bp', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('product_id', 'user_id')
    )
    with op.batch_alter_table('royalty_splits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_royalty_splits_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_royalty_splits_user_id'), ['user_id'], unique=False)

    op.create_table('sales',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price_minor', sa.Integer(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('referral_code_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.Enum('csv', 'api', name='salesource', native_enum=False, length=20), nullable=False),
    sa.Column('sold_at', app.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('transaction_id', sa.Integer(), nullable=True),
    sa.Column('royalty_minor', sa.BigInteger(), nullable=False),
    sa.Column('commission_minor', sa.BigInteger(), nullable=False),
    sa.Column('refunded_at', app.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('refund_transaction_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['referral_code_id'], ['referral_codes.id'], ),
    sa.ForeignKeyConstraint(['refund_transaction_id'], ['ledger_transactions.id'], ),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('brand_id', 'order_id', 'product_id')
    )
    with op.batch_alter_table('sales', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_brand_id'), ['brand_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_referral_code_id'), ['referral_code_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sales', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_referral_code_id'))
        batch_op.drop_index(batch_op.f('ix_sales_product_id'))
        batch_op.drop_index(batch_op.f('ix_sales_brand_id'))

    op.drop_table('sales')
    with op.batch_alter_table('royalty_splits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_royalty_splits_user_id'))
        batch_op.drop_index(batch_op.f('ix_royalty_splits_product_id'))

    op.drop_table('royalty_splits')
    op.drop_table('product_terms')
    with op.batch_alter_table('referral_signups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_signups_referral_code_id'))

    op.drop_table('referral_signups')
    with op.batch_alter_table('redemptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_redemptions_user_id'))
        batch_op.drop_index(batch_op.f('ix_redemptions_item_id'))
        batch_op.drop_index(batch_op.f('ix_redemptions_brand_id'))

    op.drop_table('redemptions')
    with op.batch_alter_table('points_awards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_awards_user_id'))
        batch_op.drop_index(batch_op.f('ix_points_awards_brand_id'))

    op.drop_table('points_awards')
    with op.batch_alter_table('payout_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payout_lines_user_id'))
        batch_op.drop_index(batch_op.f('ix_payout_lines_batch_id'))

    op.drop_table('payout_lines')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entries_transaction_id'))
        batch_op.drop_index('ix_ledger_entries_account_id_posted_at')

    op.drop_table('ledger_entries')
    op.drop_table('reward_settings')
    with op.batch_alter_table('reward_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reward_items_brand_id'))

    op.drop_table('reward_items')
    with op.batch_alter_table('referral_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_codes_user_id'))
        batch_op.drop_index(batch_op.f('ix_referral_codes_brand_id'))

    op.drop_table('referral_codes')
    with op.batch_alter_table('points_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_rules_brand_id'))

    op.drop_table('points_rules')
    with op.batch_alter_table('payout_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payout_batches_brand_id'))

    op.drop_table('payout_batches')
    with op.batch_alter_table('ledger_transactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_transactions_posted_at'))
        batch_op.drop_index(batch_op.f('ix_ledger_transactions_brand_id'))

    op.drop_table('ledger_transactions')
    with op.batch_alter_table('ledger_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_accounts_user_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_accounts_brand_id'))

    op.drop_table('ledger_accounts')
