"""Moderation: members' reports, the queue of items moderators decide, sanctions, the audit log, appeals, and the
records behind vote integrity (hashed network/device fingerprints, discounted voters).

The audit log (``audit_entries``) is append-only: the service has no update or delete, and the database refuses
both (triggers created by the migration, on SQLite and PostgreSQL alike).
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, Index, SQLModel, UniqueConstraint

from app.columns import enum_field, timestamp_field

REPORT_NOTE_MAX = 500  # a reporter's optional note (the API documents it; the service says so on forms)


class SubjectKind(StrEnum):
    """What a report is about; each domain's ``moderation`` module describes its kinds (app.moderation.subjects)."""

    design = "design"
    comment = "comment"
    profile = "profile"
    idea = "idea"
    survey_response = "survey_response"
    review = "review"
    question = "question"
    answer = "answer"


class ReportReason(StrEnum):
    spam = "spam"
    offensive = "offensive"
    stolen_art = "stolen_art"
    off_topic = "off_topic"
    other = "other"


class ItemFlag(StrEnum):
    """Why an item entered the queue first."""

    reported = "reported"
    near_duplicate = "near_duplicate"
    premoderation = "premoderation"
    blocked_word = "blocked_word"


class ItemStatus(StrEnum):
    """``open``: shown, waiting for a moderator. ``held``: hidden until a moderator decides (auto-hidden by reports,
    pre-moderation, a blocked word). ``hidden`` / ``removed`` / ``restored``: a moderator's decision."""

    open = "open"
    held = "held"
    hidden = "hidden"
    removed = "removed"
    restored = "restored"


class Decision(StrEnum):
    """What a moderator does with queue items (``restore`` also approves a held post)."""

    hide = "hide"
    restore = "restore"
    remove = "remove"


class SanctionKind(StrEnum):
    warning = "warning"
    suspension = "suspension"
    ban = "ban"


class AuditAction(StrEnum):
    hide = "hide"
    restore = "restore"
    remove = "remove"
    auto_hide = "auto_hide"
    hold = "hold"
    warning = "warning"
    suspension = "suspension"
    ban = "ban"
    lift_sanction = "lift_sanction"
    site_ban = "site_ban"
    appeal_granted = "appeal_granted"
    appeal_rejected = "appeal_rejected"
    discount = "discount"
    restore_discount = "restore_discount"
    update_settings = "update_settings"
    delete_account = "delete_account"
    # Pre-orders (app.preorders): the brand's and the pledgers' acts, and the deadline's outcome.
    preorder_opened = "preorder_opened"
    preorder_funded = "preorder_funded"
    preorder_not_funded = "preorder_not_funded"
    preorder_closed = "preorder_closed"
    pledge_made = "pledge_made"
    pledge_changed = "pledge_changed"
    pledge_withdrawn = "pledge_withdrawn"


class AppealStatus(StrEnum):
    pending = "pending"
    granted = "granted"
    rejected = "rejected"


class ModerationSettings(SQLModel, table=True):
    """A community's moderation settings; a community without a row has the defaults (``service.settings_for``)."""

    __tablename__ = "moderation_settings"

    community_id: int = Field(primary_key=True, foreign_key="communities.id", ondelete="CASCADE")
    auto_hide_threshold: int = Field(default=3)
    premoderation: bool = Field(default=False)
    # How many of a new member's first posts (counted as made, not as approved) wait for approval.
    premoderation_posts: int = Field(default=1)
    # When pre-moderation was last switched on: only members who joined since are "new".
    premoderation_since: datetime | None = timestamp_field(nullable=True)
    # One word or phrase per line, matched case-insensitively on word boundaries.
    blocked_words: str = Field(default="", max_length=5000)
    updated_at: datetime = timestamp_field()


class ModerationItem(SQLModel, table=True):
    """One piece of content (or a profile) in a community's queue, whatever brought it there."""

    __tablename__ = "moderation_items"
    __table_args__ = (
        # A profile can be reported in each community its owner is in; content belongs to one community.
        UniqueConstraint("community_id", "subject_kind", "subject_id"),
        Index("ix_moderation_items_community_id_status", "community_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="communities.id", ondelete="CASCADE")
    subject_kind: SubjectKind = enum_field(SubjectKind)
    subject_id: int
    author_id: int | None = Field(default=None, foreign_key="users.id", index=True, ondelete="SET NULL")  # i18n: ignore
    excerpt: str = Field(default="", max_length=300)
    link: str = Field(default="", max_length=300)
    flag: ItemFlag = enum_field(ItemFlag)
    status: ItemStatus = enum_field(ItemStatus, default=ItemStatus.open)
    # Distinct reporters: one report per member and item (unique below), counted by a conditional UPDATE.
    report_count: int = Field(default=0)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    decided_at: datetime | None = timestamp_field(nullable=True)


class Report(SQLModel, table=True):
    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("item_id", "reporter_id"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="moderation_items.id", index=True, ondelete="CASCADE")
    reporter_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    reason: ReportReason = enum_field(ReportReason)
    note: str = Field(default="", max_length=500)
    created_at: datetime = timestamp_field()


class Sanction(SQLModel, table=True):
    """A warning, a timed suspension (``ends_at``) or a ban (no end) of a member in one community."""

    __tablename__ = "sanctions"
    __table_args__ = (Index("ix_sanctions_community_id_user_id", "community_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="communities.id", ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    kind: SanctionKind = enum_field(SanctionKind)
    reason: str = Field(max_length=500)
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")  # i18n: ignore
    created_at: datetime = timestamp_field()
    ends_at: datetime | None = timestamp_field(nullable=True)
    lifted_at: datetime | None = timestamp_field(nullable=True)


class AuditEntry(SQLModel, table=True):
    """One moderation act: who, what, on what, why, and the state before and after. Never changed or deleted.

    Its foreign keys are ON DELETE RESTRICT, each for a reason:
    - ``actor_id`` and ``target_user_id``: an account is never deleted as a row. Deleting one's account
      (``app.moderation.privacy.delete_account``) erases the personal data and keeps the row as "deleted member",
      so every entry still names an account and reads as before. Removing the row would leave moderation acts with
      nobody accountable, so the database refuses it. (SET NULL with a copy of the name was the alternative: it
      would keep a deleted member's handle in the log, which the erasure promises to remove, and it would have to
      UPDATE rows that the append-only triggers guard.)
    - ``community_id``: a community with a moderation history is not deleted (there is no such use case; a brand
      that leaves is archived, not dropped), so the log of what was done in it is kept whole.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_community_id_created_at", "community_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int | None = Field(default=None, foreign_key="communities.id", ondelete="RESTRICT")
    actor_id: int | None = Field(default=None, foreign_key="users.id", ondelete="RESTRICT")
    action: AuditAction = enum_field(AuditAction)
    subject_kind: str = Field(default="", max_length=20)
    subject_id: int | None = Field(default=None)
    # Whom the act concerns (the author of hidden content, the sanctioned member): they may appeal it.
    target_user_id: int | None = Field(default=None, foreign_key="users.id", index=True, ondelete="RESTRICT")
    reason: str = Field(default="", max_length=500)
    before: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    after: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = timestamp_field()


class Appeal(SQLModel, table=True):
    """A member's one appeal against a decision about them, decided by another moderator or the brand's staff."""

    __tablename__ = "appeals"

    id: int | None = Field(default=None, primary_key=True)
    # An appeal is against an audit entry, which is never deleted: RESTRICT says so to the database too.
    audit_entry_id: int = Field(foreign_key="audit_entries.id", unique=True, ondelete="RESTRICT")
    community_id: int = Field(foreign_key="communities.id", index=True, ondelete="CASCADE")
    appellant_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    body: str = Field(max_length=2000)
    status: AppealStatus = enum_field(AppealStatus, default=AppealStatus.pending)
    created_at: datetime = timestamp_field()
    decided_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")  # i18n: ignore
    decided_at: datetime | None = timestamp_field(nullable=True)
    decision_reason: str = Field(default="", max_length=500)


class MemberFingerprint(SQLModel, table=True):
    """Where and with what someone logged in or scored: keyed hashes of the /24 (IPv4) or /48 (IPv6) network and the
    user agent, never the raw values. One row per distinct (member, network, device)."""

    __tablename__ = "member_fingerprints"
    __table_args__ = (UniqueConstraint("user_id", "network_hash", "device_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    network_hash: str = Field(max_length=32)
    device_hash: str = Field(max_length=32)
    first_seen_at: datetime = timestamp_field()


class ScoreDiscount(SQLModel, table=True):
    """A moderator's decision to leave a cluster's scores out of a challenge's counters and ranking; reversible."""

    __tablename__ = "score_discounts"

    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="challenges.id", index=True, ondelete="CASCADE")
    reason: str = Field(max_length=500)
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")  # i18n: ignore
    created_at: datetime = timestamp_field()
    restored_at: datetime | None = timestamp_field(nullable=True)
    restored_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")  # i18n: ignore


class DiscountedVoter(SQLModel, table=True):
    __tablename__ = "discounted_voters"

    discount_id: int = Field(primary_key=True, foreign_key="score_discounts.id", ondelete="CASCADE")
    voter_id: int = Field(primary_key=True, foreign_key="users.id", index=True, ondelete="CASCADE")
