"""The JSON shapes of reviews and of a product's rating summary."""

from datetime import datetime

from pydantic import BaseModel, Field

from app.disclosure.schemas import DisclosurePublic
from app.reviews.models import BODY_MAX_LENGTH
from app.reviews.service import ReviewerStanding


class ReviewWrite(BaseModel):
    rating: int = Field(ge=1, le=5, description="1 to 5 stars")
    body: str = Field(min_length=1, max_length=BODY_MAX_LENGTH, description="Markdown; shown sanitised")


class ReviewPublic(BaseModel):
    id: int
    rating: int
    body: str
    author_handle: str
    author_display_name: str
    disclosures: list[DisclosurePublic] = Field(
        description="The author's material connections to the brand, always shown with the review"
    )
    photo_url: str | None
    thumbnail_url: str | None
    created_at: datetime
    edited_at: datetime | None
    hidden: bool


class RatingSummaryPublic(BaseModel):
    counts: dict[int, int] = Field(description="How many shown reviews gave each rating, 1 to 5")
    total: int
    average: float | None


class ReviewList(BaseModel):
    product_name: str
    summary: RatingSummaryPublic
    reviews: list[ReviewPublic]
    page: int
    pages: int
    total: int


class OwnReview(BaseModel):
    """Whether the caller may review the campaign's product, and their review if they have one."""

    standing: ReviewerStanding | None = Field(
        description="connector (their kit was delivered), respondent (tried a sample), or null: may not review"
    )
    review: ReviewPublic | None
