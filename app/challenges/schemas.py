"""Request and response shapes of the challenges API."""

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.challenges.models import ChallengeStatus, DesignStatus, Phase, ProductStatus
from app.columns import RowId


def _aware(value: datetime) -> datetime:
    """Times without a zone are taken as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class ChallengeWrite(BaseModel):
    title: str = Field(max_length=500)
    brief: str = Field(default="", max_length=40000, description="Markdown")
    rules: str = Field(default="", max_length=40000, description="Markdown")
    product_type: str = Field(default="", max_length=500)
    prize: str = Field(default="", max_length=500)
    royalty_terms: str = Field(default="", max_length=5000)
    submissions_open_at: datetime = Field(description="Without a time zone: UTC")
    submissions_close_at: datetime
    scoring_close_at: datetime = Field(description="Scoring runs from submissions_close_at to scoring_close_at")
    max_designs_per_member: int | None = Field(default=None, description="The site's default when empty")

    @field_validator("submissions_open_at", "submissions_close_at", "scoring_close_at")
    @classmethod
    def _zone(cls, value: datetime) -> datetime:
        return _aware(value)


class ChallengeCreate(ChallengeWrite):
    slug: str = Field(default="", max_length=60, description="Made from the title when empty")


class ChallengePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    slug: str
    title: str
    brief: str
    rules: str
    product_type: str
    prize: str
    royalty_terms: str
    submissions_open_at: datetime
    submissions_close_at: datetime
    scoring_close_at: datetime
    max_designs_per_member: int
    status: ChallengeStatus
    design_count: int
    created_at: datetime


class ChallengeDetail(ChallengePublic):
    community_slug: str
    phase: Phase


class DesignScores(BaseModel):
    """A design's scores: only once the challenge's scoring window has closed."""

    score_count: int
    mean: float | None
    bayesian_score: float
    buy_count: int


class MyScore(BaseModel):
    value: int
    would_buy: bool
    updated_at: datetime


class NearDuplicateOf(BaseModel):
    design_id: RowId
    title: str
    similarity: float | None = Field(
        description="How alike the two images look, 0-1 (1: the same picture; flagged from about 0.81); "
        "null when it cannot be computed"
    )


class DesignPublic(BaseModel):
    id: int
    challenge_slug: str
    community_slug: str
    designer_handle: str
    title: str
    description: str
    tags: list[str]
    status: DesignStatus
    thumbnail_url: str
    display_url: str
    created_at: datetime
    is_winner: bool
    scores: DesignScores | None = Field(description="Hidden (null) until scoring closes")
    my_score: MyScore | None = Field(default=None, description="The caller's own score, if any")
    near_duplicate_of: NearDuplicateOf | None = Field(
        default=None,
        description="The earlier design of the community this one looks very like (flagged at submission): "
        "shown to the brand's staff and the community's moderators, and to the designer in the answer to the "
        "submission; null for everyone else",
    )


class DesignUpdate(BaseModel):
    title: str = Field(max_length=500)
    description: str = Field(default="", max_length=10000)
    tags: str = Field(default="", max_length=1000, description="Comma-separated")


class GalleryPage(BaseModel):
    designs: list[DesignPublic]
    page: int
    has_more: bool
    sort: str
    tag: str
    unscored: bool = Field(default=False, description="Only designs the caller may score and has not scored yet")


class ScoringProgressPublic(BaseModel):
    scored: int
    total: int = Field(description="The designs the caller may score: submitted ones by others")
    all_scored: bool


class NextDesign(BaseModel):
    design: DesignPublic | None = Field(description="The next design to score; null once the caller scored them all")
    progress: ScoringProgressPublic


class ScoreCast(BaseModel):
    value: int = Field(ge=0, le=5)
    would_buy: bool = False


class ShortlistEntryPublic(BaseModel):
    rank: int = Field(description="Rank by the adjusted score, the shortlist's order")
    raw_rank: int = Field(description="Rank by the raw Bayesian average")
    design: DesignPublic
    mean: float | None
    bayesian_score: float = Field(description="The raw Bayesian average of the design's scores")
    adjusted_score: float = Field(
        description="The Bayesian average after each rater's harshness and spread are taken out of their scores"
    )
    score_count: int
    buy_count: int
    distribution: list[int] = Field(description="How many scores of 0, 1, 2, 3, 4 and 5")


class WinnerPick(BaseModel):
    design_id: RowId


class ProductPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    status: ProductStatus
    design_id: RowId | None
    designer_id: RowId | None
    created_at: datetime


class DesignHit(BaseModel):
    """A design found by a search: what a result list shows (scores stay with the design itself)."""

    id: int
    title: str
    tags: list[str]
    designer_handle: str
    designer_name: str
    challenge_slug: str
    challenge_title: str
    community_slug: str
    phase: Phase
    is_winner: bool = Field(description="Only once the challenge's winners are announced")
    thumbnail_url: str
    created_at: datetime


class DesignSearchPage(BaseModel):
    designs: list[DesignHit]
    page: int
    has_more: bool
    sort: str = Field(description="The order used: relevance needs words to match, so without any it is newest")
