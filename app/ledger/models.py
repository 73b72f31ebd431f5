"""The double-entry ledger: accounts, transactions and their entries, in integer minor units.

Every transaction's entries sum to zero per currency; a transaction is never changed or deleted (a correction is
a reversal, a transaction of its own). Each transaction carries an idempotency key, unique, so a replayed posting
(a sale sent twice, a re-uploaded file, a payout run again) finds the first one instead of posting again.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, Index, SQLModel

from app.columns import enum_field, timestamp_field

POINTS = "PTS"  # the currency of points: never money, never paid out


class AccountKind(StrEnum):
    """What an account holds. A member's accounts are kept per brand: each brand pays out its own."""

    earnings = "earnings"  # a member's royalties and commissions not yet in a payout (money)
    payout_pending = "payout_pending"  # a member's money locked in an open payout batch
    points = "points"  # a member's points
    brand_expense = "brand_expense"  # the brand's side of royalties and commissions it owes
    brand_paid = "brand_paid"  # the brand's side of payouts made
    points_issued = "points_issued"  # the brand's side of points awarded
    points_spent = "points_spent"  # the brand's side of points redeemed


class TransactionKind(StrEnum):
    sale = "sale"  # royalties and the commission a sale earned
    refund = "refund"  # the reversal of a sale
    points_award = "points_award"
    redemption = "redemption"
    payout_lock = "payout_lock"  # earnings into an open batch
    payout_paid = "payout_paid"
    payout_return = "payout_return"  # a failed payout line: the money goes back to earnings
    reversal = "reversal"


class LedgerAccount(SQLModel, table=True):
    __tablename__ = "ledger_accounts"

    id: int | None = Field(default=None, primary_key=True)
    brand_id: int = Field(foreign_key="brands.id", index=True, ondelete="RESTRICT")
    # The member whose account it is; none for the brand's own accounts.
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True, ondelete="RESTRICT")
    kind: AccountKind = enum_field(AccountKind)
    currency: str = Field(max_length=3)
    # "brand:user-or-dash:kind:currency", unique: NULL user ids would not collide in a unique constraint, so the
    # owner is spelled out in one column and two concurrent first postings create one account.
    owner_key: str = Field(max_length=80, unique=True)
    # A cache of the sum of the account's entries, moved in the same transaction as each entry (recount() agrees).
    balance_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    created_at: datetime = timestamp_field()


class LedgerTransaction(SQLModel, table=True):
    __tablename__ = "ledger_transactions"

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=200, unique=True)
    brand_id: int = Field(foreign_key="brands.id", index=True, ondelete="RESTRICT")
    kind: TransactionKind = enum_field(TransactionKind)
    description: str = Field(max_length=300)
    # A reversal names what it reverses; unique, so a transaction is reversed at most once.
    reverses_id: int | None = Field(default=None, foreign_key="ledger_transactions.id", unique=True)
    posted_at: datetime = timestamp_field(index=True)


class LedgerEntry(SQLModel, table=True):
    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_entries_account_id_posted_at", "account_id", "posted_at"),)

    id: int | None = Field(default=None, primary_key=True)
    transaction_id: int = Field(foreign_key="ledger_transactions.id", index=True, ondelete="RESTRICT")
    account_id: int = Field(foreign_key="ledger_accounts.id", ondelete="RESTRICT")
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    # The transaction's moment, copied so balances at a moment and statements read the entries alone.
    posted_at: datetime = timestamp_field()
