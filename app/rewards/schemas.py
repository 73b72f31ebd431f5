"""Request and response shapes of the rewards API. Money is integer minor units with an ISO currency; amounts sent
in are decimal strings ("12.50"), read exactly (app/rewards/money.py)."""

from datetime import datetime

from pydantic import BaseModel, Field

from app.accounts.schemas import REAUTHENTICATION_FIELD
from app.challenges.models import ProductStatus
from app.columns import RowId
from app.ledger.models import TransactionKind
from app.rewards.models import (
    SHIPPING_ADDRESS_MAX,
    BatchStatus,
    LineStatus,
    PointsAction,
    RewardKind,
    RoyaltyKind,
    SaleSource,
)


class RewardSettingsBody(BaseModel):
    currency: str = Field(max_length=3, examples=["EUR"])
    commission_percent: str = Field(max_length=10, examples=["5"], description="Of a referred sale's net amount")
    payout_threshold: str = Field(max_length=20, examples=["20.00"])
    hold_days: int = Field(ge=0, le=365, examples=[30])
    # Payout rules decide who is paid what, when: changing them needs a recent sign-in, like a password change.
    current_password_or_code: str = REAUTHENTICATION_FIELD


class RewardSettingsPublic(BaseModel):
    currency: str
    commission_bp: int = Field(description="Basis points: 500 is 5 %")
    payout_threshold_minor: int
    hold_days: int


class SplitPublic(BaseModel):
    handle: str
    share_bp: int


class TermsPublic(BaseModel):
    price_minor: int
    currency: str
    royalty_kind: RoyaltyKind
    royalty_bp: int
    royalty_fixed_minor: int
    royalty_min_minor: int


class ProductPublic(BaseModel):
    id: int
    name: str
    status: ProductStatus
    design_id: RowId | None
    designer_handle: str | None
    terms: TermsPublic | None
    splits: list[SplitPublic]
    store_url: str


class TermsBody(BaseModel):
    price: str = Field(max_length=20, examples=["25.00"])
    currency: str = Field(max_length=3, examples=["EUR"])
    royalty_kind: RoyaltyKind = RoyaltyKind.percent
    royalty_percent: str = Field(default="0", max_length=10, examples=["10"])
    royalty_fixed: str = Field(default="0", max_length=20)
    royalty_min: str = Field(default="0", max_length=20)
    splits: dict[str, str] = Field(
        default_factory=dict, description="Co-designer handle -> percentage, adding up to 100; empty: the designer"
    )
    live: bool = False
    store_url: str = Field(
        default="",
        max_length=500,
        examples=["https://shop.example.com/products/tide-tee"],
        description="Where the brand's store sells it (http or https), for the designer's shop; empty: not online",
    )


class SaleLine(BaseModel):
    order_id: str = Field(max_length=200)
    product_id: RowId
    quantity: int
    unit_price: str = Field(max_length=30, examples=["25.00"])
    currency: str = Field(max_length=10, examples=["EUR"])
    referral_code: str = Field(default="", max_length=40)
    sold_at: datetime | None = Field(
        default=None,
        description="When it was sold, with a time zone; now when empty. Not in the future, and not older than the "
        "sale_max_age_days setting (400). Earnings are held from when the sale is recorded, whatever its sold_at.",
    )


class SalesBody(BaseModel):
    sales: list[SaleLine] = Field(max_length=5000)


class SalePublic(BaseModel):
    id: int
    order_id: str
    product_id: RowId
    quantity: int
    unit_price_minor: int
    currency: str
    royalty_minor: int
    commission_minor: int
    source: SaleSource
    sold_at: datetime
    refunded_at: datetime | None


class SalesResultPublic(BaseModel):
    recorded: list[SalePublic]
    replayed: list[SalePublic] = Field(description="Sent before: recorded once, nothing posted again")


class SalesImportPublic(BaseModel):
    rows: int = Field(description="Sale lines in the file")
    recorded: int = Field(description="Lines recorded now, their royalties and commissions posted")
    recorded_before: int = Field(description="Lines recorded by an earlier upload: skipped, nothing posted again")
    batches: int = Field(description="Transactions the new lines were written in")


class RefundBody(BaseModel):
    sale_id: RowId


class PointsRuleBody(BaseModel):
    action: PointsAction
    points: int = Field(ge=0, le=100000, description="0 removes the rule")
    daily_cap: int = Field(default=5, ge=1, le=1000)


class PointsRulePublic(BaseModel):
    action: PointsAction
    points: int
    daily_cap: int


class RewardItemBody(BaseModel):
    name: str = Field(max_length=500)
    description: str = Field(default="", max_length=5000)
    kind: RewardKind
    points_cost: int = Field(ge=1, le=1_000_000)
    stock: int = Field(ge=0, le=1_000_000)


class RewardItemPublic(BaseModel):
    id: int
    name: str
    description: str
    kind: RewardKind
    points_cost: int
    stock: int


class PayoutLinePublic(BaseModel):
    id: int
    handle: str
    email: str
    amount_minor: int
    status: LineStatus
    failure_reason: str
    settled_at: datetime | None


class PayoutBatchPublic(BaseModel):
    id: int
    currency: str
    status: BatchStatus
    threshold_minor: int
    hold_days: int
    cutoff_at: datetime
    created_at: datetime
    exported_at: datetime | None
    closed_at: datetime | None
    lines: list[PayoutLinePublic]


class OpenBatchBody(BaseModel):
    currency: str | None = Field(
        default=None,
        max_length=3,
        description="One of the payout currencies (GET .../payout-currencies); empty: the brand's currency now",
    )


class PayoutCurrencyPublic(BaseModel):
    currency: str
    current: bool = Field(description="The brand's currency now; the others are ones it used before")
    balance_minor: int = Field(description="Members' earnings balances in it, some possibly still held")


class MarkPaidBody(BaseModel):
    line_id: RowId | None = Field(default=None, description="Empty: every pending line")
    reference: str = Field(default="", max_length=120, description="The payment's reference at the bank")


class MarkFailedBody(BaseModel):
    line_id: RowId
    reason: str = Field(max_length=300)


class LiabilityRowPublic(BaseModel):
    handle: str
    currency: str
    available_minor: int
    held_minor: int
    in_payout_minor: int
    owed_minor: int


class LiabilityPublic(BaseModel):
    currency: str  # the brand's currency now
    total_minor: int  # owed in that currency
    totals: dict[str, int]  # owed per currency, every currency with balances
    rows: list[LiabilityRowPublic]


class BalancePublic(BaseModel):
    brand_slug: str
    currency: str
    available_minor: int
    held_minor: int
    in_payout_minor: int
    paid_minor: int


class EarningsLinePublic(BaseModel):
    posted_at: datetime
    brand_name: str
    description: str
    kind: TransactionKind
    amount_minor: int
    currency: str


class MonthPublic(BaseModel):
    month: str
    amount_minor: int


class MyPayoutPublic(BaseModel):
    brand_slug: str
    batch_id: RowId
    amount_minor: int
    currency: str
    status: LineStatus


class EarningsPublic(BaseModel):
    balances: list[BalancePublic]
    currency: str
    months: list[MonthPublic]
    lines: list[EarningsLinePublic]
    payouts: list[MyPayoutPublic]


class StatementPublic(BaseModel):
    brand_slug: str
    month: str
    currency: str
    opening_minor: int
    closing_minor: int
    lines: list[EarningsLinePublic]


class ReferralPublic(BaseModel):
    brand_slug: str
    code: str
    link: str
    clicks: int
    signups: int
    purchases: int
    earnings_minor: dict[str, int]


class ReferralBody(BaseModel):
    brand_slug: str = Field(max_length=60)


class PointsPublic(BaseModel):
    brand_slug: str
    balance: int
    catalog: list[RewardItemPublic]


class RedeemBody(BaseModel):
    item_id: RowId
    # Required for merchandise: a name and a postal address on separate lines.
    shipping_address: str = Field(default="", max_length=SHIPPING_ADDRESS_MAX)


class RedemptionPublic(BaseModel):
    id: int
    item_id: RowId
    points: int
    code: str
    created_at: datetime


class BrandRedemptionPublic(BaseModel):
    id: int
    handle: str  # the member who redeemed
    reward: str
    kind: RewardKind
    code: str
    points: int
    created_at: datetime
    status: str  # "to fulfil" or "fulfilled"
    fulfilled_at: datetime | None
    shipping_address: str | None  # merchandise: where to send it (managers only; null for analysts)


class ShopProductPublic(BaseModel):
    """A product in a designer's shop: what it costs and where the brand's store sells it."""

    id: int
    name: str
    brand_name: str
    design_id: int | None
    price_minor: int
    currency: str
    store_url: str = Field(description="Empty when the brand sells it in no online store")
    availability: str = Field(description='"live": on sale now; "preorder": pledges taken until the deadline')
    preorder_url: str = Field(default="", description="The product page taking pledges (pre-order products)")


class ProductRoyaltyPublic(BaseModel):
    product_id: int
    product_name: str
    currency: str
    units: int = Field(description="Units sold and not refunded that earned you a royalty")
    royalty_minor: int = Field(description="Royalties earned, less refunds")
