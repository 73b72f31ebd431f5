"""Outgoing e-mail, and the in-app notifications listed under the bell in the header.

E-mail is written to the outbox in the same transaction as the change it reports, and sent afterwards.
"""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, Index, SQLModel

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


class NotificationKind(StrEnum):
    comment_reply = "comment_reply"
    design_comment = "design_comment"
    design_won = "design_won"
    design_flagged = "design_flagged"


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"
    # The bell counts a user's unread ones on every page: (user_id, read_at) answers it from the index alone.
    __table_args__ = (Index("ix_notifications_user_id_read_at", "user_id", "read_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    kind: NotificationKind = enum_field(NotificationKind)
    text: str = Field(max_length=300)
    link: str = Field(max_length=500)
    actor_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = timestamp_field()
    read_at: datetime | None = timestamp_field(nullable=True)
