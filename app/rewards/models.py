"""Product terms and royalty splits, sales, referrals, points rules and the rewards catalog, and payout batches.

Money is in integer minor units with an ISO currency; points are whole points (app.ledger.models.POINTS).
What anyone is owed lives in the ledger (app/ledger); these tables say why.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column
from sqlmodel import CheckConstraint, Field, SQLModel, UniqueConstraint

from app.columns import enum_field, timestamp_field


class RewardSettings(SQLModel, table=True):
    """A brand's rules for money: its currency, the referral commission and the payout threshold and hold."""

    __tablename__ = "reward_settings"

    id: int | None = Field(default=None, primary_key=True)
    brand_id: int = Field(foreign_key="brands.id", unique=True, ondelete="CASCADE")
    currency: str = Field(default="EUR", max_length=3)
    # Basis points (1/100 of a percent) of a referred sale's net amount: 500 is 5 %.
    commission_bp: int = Field(default=500)
    payout_threshold_minor: int = Field(default=2000)
    hold_days: int = Field(default=30)


class RoyaltyKind(StrEnum):
    percent = "percent"  # of the line's net amount, in basis points
    fixed = "fixed"  # an amount per unit


class ProductTerms(SQLModel, table=True):
    """The price and royalty rule of a product (app.challenges.models.Product)."""

    __tablename__ = "product_terms"
    __table_args__ = (
        CheckConstraint("price_minor >= 0", name="price_not_negative"),  # i18n: ignore
        CheckConstraint("royalty_bp >= 0 AND royalty_bp <= 10000", name="royalty_bp_range"),  # i18n: ignore
    )

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="products.id", unique=True, ondelete="CASCADE")
    price_minor: int
    currency: str = Field(max_length=3)
    royalty_kind: RoyaltyKind = enum_field(RoyaltyKind, default=RoyaltyKind.percent)
    royalty_bp: int = Field(default=0)
    royalty_fixed_minor: int = Field(default=0)
    royalty_min_minor: int = Field(default=0)  # per unit, for either kind
    updated_at: datetime = timestamp_field()


class RoyaltySplit(SQLModel, table=True):
    """A co-designer's share of a product's royalty, in basis points; a product's shares add up to 10,000."""

    __tablename__ = "royalty_splits"
    __table_args__ = (UniqueConstraint("product_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="products.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    share_bp: int


class SaleSource(StrEnum):
    csv = "csv"
    api = "api"


class Sale(SQLModel, table=True):
    """One order line of a product; (brand, order, product) is unique, so a replayed sale is recorded once."""

    __tablename__ = "sales"
    __table_args__ = (UniqueConstraint("brand_id", "order_id", "product_id"),)

    id: int | None = Field(default=None, primary_key=True)
    brand_id: int = Field(foreign_key="brands.id", index=True, ondelete="CASCADE")
    product_id: int = Field(foreign_key="products.id", index=True, ondelete="RESTRICT")
    order_id: str = Field(max_length=80)
    quantity: int
    unit_price_minor: int
    currency: str = Field(max_length=3)
    referral_code_id: int | None = Field(default=None, foreign_key="referral_codes.id", index=True)
    source: SaleSource = enum_field(SaleSource)
    sold_at: datetime = timestamp_field()
    transaction_id: int | None = Field(default=None, foreign_key="ledger_transactions.id")
    royalty_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    commission_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    refunded_at: datetime | None = timestamp_field(nullable=True)
    refund_transaction_id: int | None = Field(default=None, foreign_key="ledger_transactions.id")

    @property
    def net_minor(self) -> int:
        return self.quantity * self.unit_price_minor


class ReferralCode(SQLModel, table=True):
    """A member's referral code for one brand; its link is /r/<code>."""

    __tablename__ = "referral_codes"
    __table_args__ = (UniqueConstraint("brand_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True)
    brand_id: int = Field(foreign_key="brands.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    click_count: int = Field(default=0)
    signup_count: int = Field(default=0)
    created_at: datetime = timestamp_field()


class ReferralSignup(SQLModel, table=True):
    """Someone who signed up after following a referral link (one referrer per new account)."""

    __tablename__ = "referral_signups"

    id: int | None = Field(default=None, primary_key=True)
    referral_code_id: int = Field(foreign_key="referral_codes.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", unique=True, ondelete="CASCADE")
    created_at: datetime = timestamp_field()


class PointsAction(StrEnum):
    design_submitted = "design_submitted"
    first_score = "first_score"
    survey_answered = "survey_answered"
    samples_passed = "samples_passed"
    referral_converted = "referral_converted"
    answer_accepted = "answer_accepted"


class PointsRule(SQLModel, table=True):
    """How many points a brand gives for an action, and how many times a day at most per member."""

    __tablename__ = "points_rules"
    __table_args__ = (
        UniqueConstraint("brand_id", "action"),
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint("daily_cap > 0", name="daily_cap_positive"),  # i18n: ignore
    )

    id: int | None = Field(default=None, primary_key=True)
    brand_id: int = Field(foreign_key="brands.id", index=True, ondelete="CASCADE")
    action: PointsAction = enum_field(PointsAction)
    points: int
    daily_cap: int = Field(default=5)


class PointsAward(SQLModel, table=True):
    """Points given for one thing done (source_key): unique, so the same thing never earns twice."""

    __tablename__ = "points_awards"
    __table_args__ = (UniqueConstraint("brand_id", "user_id", "action", "source_key"),)

    id: int | None = Field(default=None, primary_key=True)
    brand_id: int = Field(foreign_key="brands.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    action: PointsAction = enum_field(PointsAction)
    source_key: str = Field(max_length=120)
    day: date
    points: int
    transaction_id: int = Field(foreign_key="ledger_transactions.id")
    created_at: datetime = timestamp_field()


SHIPPING_ADDRESS_MAX = 500


class RewardKind(StrEnum):
    discount_code = "discount_code"
    merchandise = "merchandise"


class RewardItem(SQLModel, table=True):
    """Something in a brand's rewards catalog, bought with points while in stock."""

    __tablename__ = "reward_items"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("points_cost > 0", name="cost_positive"),  # i18n: ignore
    )

    id: int | None = Field(default=None, primary_key=True)
    brand_id: int = Field(foreign_key="brands.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=120)
    description: str = Field(default="", max_length=1000)
    kind: RewardKind = enum_field(RewardKind)
    points_cost: int
    stock: int
    created_at: datetime = timestamp_field()


class Redemption(SQLModel, table=True):
    """Points spent on a reward, with the unique code it issued."""

    __tablename__ = "redemptions"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="reward_items.id", index=True, ondelete="RESTRICT")
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    brand_id: int = Field(foreign_key="brands.id", index=True, ondelete="CASCADE")
    points: int
    code: str = Field(max_length=24, unique=True)
    request_key: str = Field(max_length=100, unique=True)
    transaction_id: int = Field(foreign_key="ledger_transactions.id")
    created_at: datetime = timestamp_field()
    # When the brand's staff marked the reward sent or the code honoured; none while it is still to fulfil.
    fulfilled_at: datetime | None = timestamp_field(nullable=True)
    fulfilled_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")  # i18n: ignore
    # Where to send merchandise (the member's words; empty for discount codes), for the brand's managers only.
    shipping_address: str = Field(default="", max_length=SHIPPING_ADDRESS_MAX)

    @property
    def status(self) -> str:
        return "fulfilled" if self.fulfilled_at is not None else "to fulfil"  # i18n: ignore


class BatchStatus(StrEnum):
    open = "open"
    closed = "closed"


class PayoutBatch(SQLModel, table=True):
    """A brand's payout run. At most one is open per brand and currency (open_key is unique, NULL once closed)."""

    __tablename__ = "payout_batches"

    id: int | None = Field(default=None, primary_key=True)
    brand_id: int = Field(foreign_key="brands.id", index=True, ondelete="CASCADE")
    currency: str = Field(max_length=3)
    status: BatchStatus = enum_field(BatchStatus, default=BatchStatus.open)
    open_key: str | None = Field(default=None, max_length=40, unique=True)
    threshold_minor: int
    hold_days: int
    # Earnings posted after this moment are inside the holding period and stay out of the batch.
    cutoff_at: datetime = timestamp_field()
    provider: str = Field(default="manual_csv", max_length=40)
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")  # i18n: ignore
    created_at: datetime = timestamp_field()
    exported_at: datetime | None = timestamp_field(nullable=True)
    closed_at: datetime | None = timestamp_field(nullable=True)


class LineStatus(StrEnum):
    pending = "pending"
    paid = "paid"
    failed = "failed"


class PayoutLine(SQLModel, table=True):
    """One member's payout in a batch: the amount locked from their earnings when the batch opened."""

    __tablename__ = "payout_lines"
    __table_args__ = (UniqueConstraint("batch_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="payout_batches.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="RESTRICT")
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: LineStatus = enum_field(LineStatus, default=LineStatus.pending)
    lock_transaction_id: int = Field(foreign_key="ledger_transactions.id")
    provider_reference: str = Field(default="", max_length=120)
    failure_reason: str = Field(default="", max_length=300)
    settled_at: datetime | None = timestamp_field(nullable=True)
