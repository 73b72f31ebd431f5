"""Challenges, the designs submitted to them, members' scores, and the products winning designs become."""

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import func, select
from sqlalchemy.orm import column_property
from sqlmodel import CheckConstraint, Field, SQLModel, UniqueConstraint

from app.columns import enum_field, timestamp_field


class ChallengeStatus(StrEnum):
    draft = "draft"
    published = "published"
    winners_announced = "winners_announced"


class Phase(StrEnum):
    """Where a challenge stands at a moment: derived from its status and windows by ``service.phase``."""

    draft = "draft"
    upcoming = "upcoming"
    submissions_open = "submissions_open"
    scoring = "scoring"
    closed = "closed"
    winners_announced = "winners_announced"


class DesignStatus(StrEnum):
    submitted = "submitted"
    withdrawn = "withdrawn"
    hidden = "hidden"


class ProductStatus(StrEnum):
    draft = "draft"
    live = "live"


class Challenge(SQLModel, table=True):
    __tablename__ = "challenges"
    __table_args__ = (UniqueConstraint("community_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="communities.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=120)
    slug: str = Field(max_length=60)
    brief: str = Field(default="", max_length=20000)
    rules: str = Field(default="", max_length=20000)
    product_type: str = Field(default="", max_length=80)
    prize: str = Field(default="", max_length=200)
    royalty_terms: str = Field(default="", max_length=2000)
    submissions_open_at: datetime = timestamp_field()
    submissions_close_at: datetime = timestamp_field()
    scoring_close_at: datetime = timestamp_field()
    max_designs_per_member: int = Field(default=3)
    status: ChallengeStatus = enum_field(ChallengeStatus, default=ChallengeStatus.draft)
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")  # i18n: ignore
    created_at: datetime = timestamp_field()
    winners_announced_at: datetime | None = timestamp_field(nullable=True)
    # The phase last told to the brand's webhooks (challenge_phase_changed): the windows move a challenge on by the
    # clock alone, so a periodic sweep compares this with ``service.phase`` and tells each change once.
    emitted_phase: Phase = enum_field(Phase, default=Phase.draft)
    # Rollups kept by the services in the same transaction as each change; never recounted on page views.
    design_count: int = Field(default=0)
    # The challenge's score totals, read-only: the sums of its ChallengeScoreShard rows (column properties set
    # below the classes), both loaded by one SELECT when first read (most loads of a challenge need neither).
    score_count: ClassVar[int]
    score_sum: ClassVar[int]


class ChallengeScoreShard(SQLModel, table=True):
    """A part of a challenge's score totals; the totals are the sum of its shards.

    Every score used to add to one counter on the challenge's row, whose row lock each scoring transaction held
    until its commit: on PostgreSQL concurrent scorers queued on that row (19 to 25 of 26 sessions waited on it),
    so a second web process scored no faster. Each score now adds to the shard of its voter
    (``voter_id % SCORE_SHARDS``), so scorers of one challenge rarely wait on each other; reading sums at most
    ``SCORE_SHARDS`` rows.
    """

    __tablename__ = "challenge_score_shards"

    challenge_id: int = Field(foreign_key="challenges.id", primary_key=True, ondelete="CASCADE")
    shard: int = Field(primary_key=True)
    score_count: int = Field(default=0)
    score_sum: int = Field(default=0)


SCORE_SHARDS = 64


class Design(SQLModel, table=True):
    __tablename__ = "designs"

    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="challenges.id", index=True, ondelete="CASCADE")
    designer_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    image_id: int = Field(foreign_key="media_images.id", index=True, ondelete="RESTRICT")
    title: str = Field(max_length=120)
    description: str = Field(default="", max_length=5000)
    # Normalised: lower-case, unique, sorted, comma-separated ("floral,retro"); see service.normalise_tags.
    tags: str = Field(default="", max_length=500)
    status: DesignStatus = enum_field(DesignStatus, default=DesignStatus.submitted)
    score_count: int = Field(default=0)
    score_sum: int = Field(default=0)
    buy_count: int = Field(default=0)
    # The Bayesian average against the challenge mean as of the design's latest score; refreshed for the whole
    # challenge when winners are picked. Rankings are computed from the counters with the current mean.
    bayesian_score: float = Field(default=0.0)
    # The calibrated ranking's score (app.challenges.ranking: each rater's harshness and spread taken out), stored
    # when the winners or the counted scores change after scoring closes; it orders the winners. The shortlist
    # computes it afresh.
    adjusted_score: float = Field(default=0.0)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    flagged_near_duplicate_of_id: int | None = Field(
        default=None,
        foreign_key="designs.id",
        ondelete="SET NULL",  # i18n: ignore
    )
    won_at: datetime | None = timestamp_field(nullable=True)

    @property
    def is_winner(self) -> bool:
        return self.won_at is not None

    @property
    def tag_list(self) -> list[str]:
        return [tag for tag in self.tags.split(",") if tag]

    @property
    def mean_score(self) -> float | None:
        return self.score_sum / self.score_count if self.score_count else None

    @property
    def buy_rate(self) -> float | None:
        return self.buy_count / self.score_count if self.score_count else None


class Score(SQLModel, table=True):
    __tablename__ = "scores"
    __table_args__ = (
        UniqueConstraint("design_id", "voter_id"),
        CheckConstraint("value >= 0 AND value <= 5", name="value_range"),  # i18n: ignore
    )

    id: int | None = Field(default=None, primary_key=True)
    design_id: int = Field(foreign_key="designs.id", index=True, ondelete="CASCADE")
    voter_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    value: int
    would_buy: bool = Field(default=False)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class Product(SQLModel, table=True):
    """Something a brand sells; a winning design becomes a draft product (its designer earns royalties)."""

    __tablename__ = "products"

    id: int | None = Field(default=None, primary_key=True)
    brand_id: int = Field(foreign_key="brands.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=120)
    status: ProductStatus = enum_field(ProductStatus, default=ProductStatus.draft)
    design_id: int | None = Field(
        default=None,
        foreign_key="designs.id",
        unique=True,
        ondelete="SET NULL",  # i18n: ignore
    )
    designer_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")  # i18n: ignore
    # Where to buy it in the brand's own store (http or https; empty: not sold online). The price is its terms'
    # (app.rewards.models.ProductTerms), the one price sales and royalties are checked against.
    store_url: str = Field(default="", max_length=500)
    created_at: datetime = timestamp_field()


def _shard_total(column: str) -> object:
    shards = ChallengeScoreShard.__table__.c  # type: ignore[attr-defined]
    challenges = Challenge.__table__.c  # type: ignore[attr-defined]
    return column_property(
        select(func.coalesce(func.sum(shards[column]), 0))
        .where(shards.challenge_id == challenges.id)
        .correlate_except(ChallengeScoreShard.__table__)  # type: ignore[attr-defined]
        .scalar_subquery(),
        deferred=True,
        group="score_totals",
    )


Challenge.score_count = _shard_total("score_count")  # type: ignore[misc,assignment]
Challenge.score_sum = _shard_total("score_sum")  # type: ignore[misc,assignment]
