"""Request and response shapes of the pre-orders API."""

from datetime import UTC, datetime

from pydantic import BaseModel, Field, field_validator

from app.preorders.models import PreorderStatus


class PreorderOpen(BaseModel):
    target_count: int = Field(ge=1, le=1_000_000, description="Items to be pledged for the product to be made")
    deadline_at: datetime = Field(description="When pledging closes; without a time zone: UTC")
    price: str = Field(max_length=20, examples=["24.00"], description="Charged per item later, in the brand's currency")
    variants: list[str] = Field(default_factory=list, max_length=20, examples=[["S", "M", "L"]])
    stock_limit: int | None = Field(default=None, ge=1, le=1_000_000, description="The most items that may be pledged")

    @field_validator("deadline_at")
    @classmethod
    def _zone(cls, value: datetime) -> datetime:
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class PreorderPublic(BaseModel):
    status: PreorderStatus
    pledged_count: int
    target_count: int
    stock_limit: int | None
    left_in_stock: int | None
    variants: list[str]
    price_minor: int
    currency: str
    deadline_at: datetime
    funded_at: datetime | None
    closed: bool = Field(description="No more pledging: past the deadline, or not funded")
    summary: str = Field(examples=["37 of 50, 4 days left"])


class VariantCount(BaseModel):
    variant: str
    pledges: int
    items: int


class PreorderDetail(PreorderPublic):
    product_id: int
    product_name: str
    variant_counts: list[VariantCount]


class ProductPublic(BaseModel):
    id: int
    name: str
    community_slug: str
    design_id: int | None
    design_title: str | None
    designer_handle: str | None
    image_urls: dict[str, str] = Field(description="thumbnail and display renditions of the design")
    preorder: PreorderPublic | None


class PledgeWrite(BaseModel):
    variant: str = Field(max_length=40)
    quantity: int = Field(ge=1, le=10)
    recipient_name: str = Field(max_length=500)
    address_line1: str = Field(max_length=500)
    address_line2: str = Field(default="", max_length=500)
    city: str = Field(max_length=500)
    postcode: str = Field(default="", max_length=100)
    country: str = Field(max_length=10, description="Two-letter country code")


class PledgePublic(BaseModel):
    """One's own pledge, with the address one gave (nobody else but the brand's managers sees it)."""

    variant: str
    quantity: int
    recipient_name: str
    address_line1: str
    address_line2: str
    city: str
    postcode: str
    country: str
    created_at: datetime
    updated_at: datetime
    preorder: PreorderPublic
