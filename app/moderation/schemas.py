"""Request and response shapes of the moderation API."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.columns import RowId
from app.moderation.models import (
    REPORT_NOTE_MAX,
    AppealStatus,
    AuditAction,
    Decision,
    ItemFlag,
    ItemStatus,
    ReportReason,
    SanctionKind,
    SubjectKind,
)


class ReportCreate(BaseModel):
    subject_kind: SubjectKind = Field(
        description="A survey_response is reported by the brand's staff, from the survey's results, not here"
    )
    subject_id: RowId
    reason: ReportReason
    note: str = Field(default="", max_length=REPORT_NOTE_MAX)


class ReasonCreate(BaseModel):
    """A report about what the path names (a member's profile, a survey response)."""

    reason: ReportReason
    note: str = Field(default="", max_length=REPORT_NOTE_MAX)


class ReportPublic(BaseModel):
    id: int
    item_id: RowId
    reason: ReportReason
    created_at: datetime
    auto_hidden: bool = Field(description="Whether this report hid the content until a moderator decides")


class AuthorHistoryPublic(BaseModel):
    """The author in this community (nothing here reaches beyond it)."""

    items: int = Field(description="Their queue items here, this one included")
    reports: int = Field(description="Reports on those items")
    hidden_or_removed: int = Field(description="Of their items, how many moderators hid or removed")
    sanctions: int = Field(description="Warnings, suspensions and bans here, lifted ones included")
    active_sanction: str | None = Field(description="The suspension or ban in force, if any")
    posts: int = Field(description="Designs (not withdrawn), ideas and comments (not deleted) they posted here")
    account_created_at: datetime | None
    account_age_days: int | None


class DesignImagePublic(BaseModel):
    """A design's renditions for its community's moderators (the original upload is never shown)."""

    design_id: int
    thumbnail_url: str = Field(description="400 px; answers only this community's moderators")
    full_url: str = Field(description="1600 px; answers only this community's moderators")


class DesignSidePublic(BaseModel):
    design_id: int
    title: str
    designer_handle: str | None
    posted_at: datetime
    image: DesignImagePublic


class NearDuplicatePublic(BaseModel):
    """The earlier design a design was flagged against: ``earlier`` was posted first."""

    similarity: float | None = Field(description="0 to 1 (1: the same picture); null when either has no fingerprint")
    percent_alike: int | None
    earlier: DesignSidePublic
    later: DesignSidePublic


class QueueItemPublic(BaseModel):
    id: int
    subject_kind: SubjectKind
    subject_id: RowId
    link: str
    excerpt: str
    flag: ItemFlag
    status: ItemStatus
    report_count: int
    reasons: dict[str, int]
    author_handle: str | None
    author_history: AuthorHistoryPublic
    created_at: datetime
    decided_at: datetime | None
    title: str = Field(description="The subject's title as members see it (plain text; empty for a comment)")
    body_html: str = Field(
        description="The subject's text as members saw it: Markdown rendered and sanitised by the members' renderer"
    )
    image: DesignImagePublic | None = Field(description="A design's image; null for every other kind")
    near_duplicate: NearDuplicatePublic | None = Field(
        description="For a design flagged as a near-duplicate: the earlier design and how alike the two look"
    )


class ReportDetail(BaseModel):
    reporter_handle: str
    reason: ReportReason
    note: str
    created_at: datetime


class AuditEntryPublic(BaseModel):
    id: int
    created_at: datetime
    actor_handle: str | None
    action: AuditAction
    subject_kind: str
    subject_id: RowId | None
    member_handle: str | None
    reason: str
    before: dict[str, Any]
    after: dict[str, Any]


class QueueItemDetail(QueueItemPublic):
    reports: list[ReportDetail]
    history: list[AuditEntryPublic]
    author_decisions: list[AuditEntryPublic] = Field(
        description="Earlier decisions about the author in this community, newest first (ten at most), "
        "other than those about this subject (in history)"
    )
    decisions: list[Decision] = Field(
        description="The decisions this item accepts: a profile cannot be hidden or removed "
        "(sanction its owner instead, with this item's id, which resolves its reports)"
    )


class DecisionCreate(BaseModel):
    item_ids: list[RowId] = Field(min_length=1, max_length=200)
    decision: Decision
    reason: str = Field(default="", max_length=1000)


class SanctionCreate(BaseModel):
    handle: str
    kind: SanctionKind
    reason: str = Field(max_length=1000)
    days: int | None = Field(default=None, description="Required for a suspension: 1 to 365")
    item_id: RowId | None = Field(
        default=None, description="A reported profile's queue item: the sanction resolves it and tells its reporters"
    )


class SanctionLift(BaseModel):
    reason: str = Field(max_length=1000)


class SanctionPublic(BaseModel):
    id: int
    handle: str
    kind: SanctionKind
    reason: str
    created_at: datetime
    ends_at: datetime | None
    lifted_at: datetime | None
    active: bool


class SettingsPublic(BaseModel):
    auto_hide_threshold: int
    premoderation: bool
    premoderation_posts: int
    blocked_words: list[str]


class SettingsUpdate(BaseModel):
    auto_hide_threshold: int
    premoderation: bool = False
    premoderation_posts: int = 1
    blocked_words: list[str] = Field(default_factory=list, max_length=500)


class AppealCreate(BaseModel):
    body: str = Field(max_length=4000)


class AppealDecision(BaseModel):
    grant: bool
    reason: str = Field(max_length=1000)


class AppealPublic(BaseModel):
    id: int
    decision_id: RowId
    appellant_handle: str
    body: str
    status: AppealStatus
    created_at: datetime
    decided_at: datetime | None
    decision_reason: str


class DecisionPublic(BaseModel):
    """A decision about the caller, with its appeal if any."""

    id: int
    action: AuditAction
    reason: str
    created_at: datetime
    appeal: AppealPublic | None


class RingVotePublic(BaseModel):
    voter_id: RowId
    design_id: RowId
    value: int
    at: datetime


class ClusterPublic(BaseModel):
    """A vote ring: who, whose designs, which way (boosting, sinking, or swapping: both), and the evidence."""

    voter_handles: list[str]
    voter_ids: list[RowId]
    target_designer_handle: str | None
    target_design_ids: list[RowId]
    direction: str
    score: float
    reasons: list[str]
    votes: list[RingVotePublic]


class RankMovePublic(BaseModel):
    design_id: RowId
    title: str
    rank_now: int
    rank_without: int


class DiscountCreate(BaseModel):
    voter_ids: list[RowId] = Field(min_length=1, max_length=500)
    reason: str = Field(max_length=1000)


class DiscountRestore(BaseModel):
    reason: str = Field(max_length=1000)


class DiscountPublic(BaseModel):
    id: int
    voter_ids: list[RowId]
    reason: str
    created_at: datetime
    restored_at: datetime | None


class IntegrityPublic(BaseModel):
    clusters: list[ClusterPublic]
    preview: list[RankMovePublic] = Field(
        description="The designs whose place would change with the rings' scores left out (a preview: nothing moves "
        "until a moderator discounts them, once scoring has closed)."
    )
    discounts: list[DiscountPublic]
    score_count: int
    score_sum: int


class AccountDeletion(BaseModel):
    password: str = Field(max_length=1000)


class SiteBanCreate(BaseModel):
    handle: str
    reason: str = Field(max_length=1000)
