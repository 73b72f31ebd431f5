"""Request and response shapes of the notifications API."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.notifications.models import NotificationKind


class NotificationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: NotificationKind
    text: str
    link: str
    actor_id: int | None
    created_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    unread_count: int
    page: int
    items: list[NotificationPublic]


class MarkRead(BaseModel):
    notification_id: int | None = Field(default=None, description="One notification; all of them when empty")


class UnreadCount(BaseModel):
    unread_count: int
