"""Outgoing e-mail, and the in-app notifications listed under the bell in the header.

E-mail is written to the outbox in the same transaction as the change it reports, and sent afterwards.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Column, Text
from sqlmodel import Field, Index, SQLModel, UniqueConstraint

from app.columns import enum_field, timestamp_field


class OutboxEmail(SQLModel, table=True):
    __tablename__ = "outbox_emails"

    id: int | None = Field(default=None, primary_key=True)
    to_address: str = Field(max_length=254, index=True)
    subject: str = Field(max_length=200)
    body_text: str
    created_at: datetime = timestamp_field(index=True)
    sent_at: datetime | None = timestamp_field(nullable=True)
    attempts: int = Field(default=0)
    last_error: str = Field(default="", max_length=500)
    # While a deliverer sends it: other deliverers leave it alone until then (app.notifications.service).
    claimed_until: datetime | None = timestamp_field(nullable=True)
    # Extra headers (List-Unsubscribe and List-Unsubscribe-Post) and an HTML alternative (digests), sent as they are.
    headers: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    body_html: str = Field(default="", sa_type=Text)


class NotificationKind(StrEnum):
    comment_reply = "comment_reply"
    design_comment = "design_comment"
    design_won = "design_won"
    design_flagged = "design_flagged"
    idea_comment = "idea_comment"
    idea_status = "idea_status"
    idea_response = "idea_response"
    idea_merged = "idea_merged"
    idea_done = "idea_done"
    mention = "mention"
    community_invite = "community_invite"
    campaign_decision = "campaign_decision"
    kit_shipped = "kit_shipped"
    network_response = "network_response"
    roundtable_invite = "roundtable_invite"
    campaign_outcome = "campaign_outcome"
    moderation_decision = "moderation_decision"
    sanction = "sanction"
    report_outcome = "report_outcome"
    appeal_decided = "appeal_decided"
    appeal_filed = "appeal_filed"
    royalty_earned = "royalty_earned"
    commission_earned = "commission_earned"
    payout_paid = "payout_paid"
    payout_failed = "payout_failed"
    redemption_code = "redemption_code"
    preorder_opened = "preorder_opened"
    preorder_funded = "preorder_funded"
    preorder_not_funded = "preorder_not_funded"
    question_answer = "question_answer"
    answer_accepted = "answer_accepted"
    # News of a designer someone follows: a new design, a win (and pre-orders): app.follows.
    followed_designer = "followed_designer"
    # Not a notification in the bell: the weekly results e-mail to a brand's staff (app.brands.weekly_results),
    # a kind so that each person turns it off where they choose everything else.
    brand_results = "brand_results"


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"
    # The bell counts a user's unread ones on every page: (user_id, read_at) answers it from the index alone.
    __table_args__ = (Index("ix_notifications_user_id_read_at", "user_id", "read_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    kind: NotificationKind = enum_field(NotificationKind)
    text: str = Field(max_length=300)
    link: str = Field(max_length=500)
    actor_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")  # i18n: ignore
    created_at: datetime = timestamp_field()
    read_at: datetime | None = timestamp_field(nullable=True)
    # Notifications of one kind about one thing on one (UTC) day share a key and read as one line, rollup_text with
    # {count} (and {amount}, the amounts added up, and {day}) filled in; no key: always a line of its own.
    rollup_key: str | None = Field(default=None, max_length=200)
    rollup_text: str = Field(default="", max_length=300)
    amount_minor: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    currency: str | None = Field(default=None, max_length=3)


class Delivery(StrEnum):
    """How someone wants to hear about one kind of notification, beyond the bell (which shows everything)."""

    immediately = "immediately"
    daily = "daily"
    weekly = "weekly"
    never = "never"


class NotificationPreference(SQLModel, table=True):
    """A choice that differs from the kind's default (``app.notifications.service.DEFAULT_DELIVERY``)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    kind: NotificationKind = enum_field(NotificationKind)
    delivery: Delivery = enum_field(Delivery)
    updated_at: datetime = timestamp_field()


class EmailUnsubscribe(SQLModel, table=True):
    """Someone who asked for no notification e-mail at all (from a link or the settings page)."""

    __tablename__ = "email_unsubscribes"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", unique=True, ondelete="CASCADE")
    created_at: datetime = timestamp_field()


class DigestItem(SQLModel, table=True):
    """A notification held for someone's next daily or weekly digest; ``sent_at`` is set by the digest that took it."""

    __tablename__ = "digest_items"
    __table_args__ = (Index("ix_digest_items_cadence_sent_at_user_id", "cadence", "sent_at", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    notification_id: int = Field(foreign_key="notifications.id", unique=True, ondelete="CASCADE")
    cadence: Delivery = enum_field(Delivery)
    community_id: int | None = Field(default=None, foreign_key="communities.id", ondelete="SET NULL")  # i18n: ignore
    created_at: datetime = timestamp_field()
    sent_at: datetime | None = timestamp_field(nullable=True)
