"""Reviews of a sampling campaign's product by the people who tried it: its connectors, once their kit was
delivered, and respondents from their networks who rated it (``app.campaigns.samplers``).

A campaign names its product (``Campaign.product_name``) without a product row, so a review belongs to the campaign.
One per person and campaign, by a unique constraint; withdrawing keeps the row (``withdrawn_at``), so publishing
again revives it, and a review hidden by moderation stays hidden through a withdrawal.
"""

from datetime import datetime

from sqlmodel import CheckConstraint, Field, SQLModel, UniqueConstraint

from app.columns import timestamp_field

BODY_MAX_LENGTH = 5000
RATINGS = (1, 2, 3, 4, 5)


class Review(SQLModel, table=True):
    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("campaign_id", "author_id"),
        CheckConstraint("rating >= 1 AND rating <= 5", name="rating_range"),  # i18n: ignore
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaigns.id", index=True, ondelete="CASCADE")
    author_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    rating: int
    # Markdown, shown through the sanitising ``markdown`` filter like every member's text.
    body: str = Field(max_length=BODY_MAX_LENGTH)
    image_id: int | None = Field(
        default=None,
        foreign_key="media_images.id",
        index=True,
        ondelete="SET NULL",  # i18n: ignore
    )
    created_at: datetime = timestamp_field()
    edited_at: datetime | None = timestamp_field(nullable=True)
    withdrawn_at: datetime | None = timestamp_field(nullable=True)
    # Set while moderation hides the review (app.moderation): shown then only to its author and the moderators.
    hidden_at: datetime | None = timestamp_field(nullable=True)

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None
