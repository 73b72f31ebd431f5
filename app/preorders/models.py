"""Pre-orders: a product made from a winning design offered for pledges until a deadline, printed if enough come in.

A pledge is a commitment, not money: nothing reaches the ledger until the brand records a sale (app.rewards).
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column
from sqlmodel import CheckConstraint, Field, SQLModel, UniqueConstraint

from app.columns import enum_field, timestamp_field


class PreorderStatus(StrEnum):
    """``open`` until the target is reached (``funded``) or the deadline passes without it (``not_funded``).

    A funded pre-order keeps taking pledges until its deadline (``closed_at`` is set then); a not-funded one is
    closed at once and its addresses are erased.
    """

    open = "open"
    funded = "funded"
    not_funded = "not_funded"


class PledgeStatus(StrEnum):
    active = "active"
    withdrawn = "withdrawn"


class Preorder(SQLModel, table=True):
    """A product's pre-order: one per product."""

    __tablename__ = "preorders"
    __table_args__ = (
        CheckConstraint("target_count > 0", name="target_positive"),  # i18n: ignore
        CheckConstraint("pledged_count >= 0", name="pledged_not_negative"),  # i18n: ignore
        CheckConstraint("stock_limit IS NULL OR pledged_count <= stock_limit", name="within_stock"),  # i18n: ignore
    )

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="products.id", unique=True, ondelete="CASCADE")
    brand_id: int = Field(foreign_key="brands.id", index=True, ondelete="CASCADE")
    # The community the design was submitted in: its members pledge, its audit log records the changes.
    community_id: int = Field(foreign_key="communities.id", index=True, ondelete="CASCADE")
    status: PreorderStatus = enum_field(PreorderStatus, default=PreorderStatus.open)
    # Items pledged to reach (a pledge of 2 counts 2), and the most that may be pledged (None: no limit).
    target_count: int
    stock_limit: int | None = Field(default=None)
    # The items pledged by active pledges, kept by a conditional UPDATE in each pledging transaction.
    pledged_count: int = Field(default=0)
    variants: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    price_minor: int
    currency: str = Field(max_length=3)
    deadline_at: datetime = timestamp_field()
    opened_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")  # i18n: ignore
    opened_at: datetime = timestamp_field()
    funded_at: datetime | None = timestamp_field(nullable=True)
    # When the deadline was handled (app.tasks.close_preorders): nothing changes after this.
    closed_at: datetime | None = timestamp_field(nullable=True)


class Pledge(SQLModel, table=True):
    """One member's pledge to a pre-order; the address is seen only by the brand's managers and erased when the
    pre-order is not funded (or the member deletes their account)."""

    __tablename__ = "pledges"
    __table_args__ = (
        UniqueConstraint("preorder_id", "user_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    preorder_id: int = Field(foreign_key="preorders.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    status: PledgeStatus = enum_field(PledgeStatus, default=PledgeStatus.active)
    variant: str = Field(max_length=40)
    quantity: int
    recipient_name: str = Field(default="", max_length=120)
    address_line1: str = Field(default="", max_length=200)
    address_line2: str = Field(default="", max_length=200)
    city: str = Field(default="", max_length=100)
    postcode: str = Field(default="", max_length=20)
    country: str = Field(default="", max_length=2)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
