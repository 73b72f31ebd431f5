"""Request and response shapes of the notifications API."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.columns import RowId
from app.notifications.models import Delivery, NotificationKind


class NotificationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: NotificationKind
    text: str
    link: str
    actor_id: RowId | None
    created_at: datetime
    read_at: datetime | None
    rollup_key: str | None = Field(
        serialization_alias="group",
        description="Notifications sharing it read as one line (see groups); empty: a line of its own",
    )


class NotificationGroupPublic(BaseModel):
    """One line as the notifications page shows it: one notification, or many of one kind about one thing on one
    day rolled up ("You earned €4.14 royalties from 6 sales today")."""

    model_config = ConfigDict(from_attributes=True)

    newest_id: RowId = Field(description="The newest notification of the line; mark it read with whole_group")
    kind: NotificationKind
    text: str
    link: str
    created_at: datetime = Field(description="When the newest arrived")
    count: int
    unread_count: int
    rollup_key: str | None = Field(serialization_alias="group")


class NotificationPage(BaseModel):
    unread_count: int
    page: int
    items: list[NotificationPublic]
    unread_groups: int = Field(description="Unread lines, as the bell counts them")
    groups: list[NotificationGroupPublic] = Field(description="This page of lines, newest first (30 a page)")


class MarkRead(BaseModel):
    notification_id: RowId | None = Field(default=None, description="One notification; all of them when empty")
    whole_group: bool = Field(default=False, description="Also every notification rolled up on its line")


class UnreadCount(BaseModel):
    unread_count: int


class KindPreferencePublic(BaseModel):
    kind: NotificationKind
    label: str
    delivery: Delivery
    default: Delivery


class NotificationPreferences(BaseModel):
    kinds: list[KindPreferencePublic]
    email_unsubscribed: bool = Field(description="True: no notification e-mail at all (in-app notifications go on)")
    email_confirmed: bool = Field(description="Notification e-mail goes only to a confirmed address")


class NotificationPreferencesUpdate(BaseModel):
    preferences: dict[str, str] = Field(
        default_factory=dict,
        description="Kind to delivery (immediately, daily, weekly or never); kinds left out keep their setting",
    )
    email_unsubscribed: bool | None = Field(default=None, description="Leave out to keep it as it is")


class Unsubscribed(BaseModel):
    unsubscribed_from: str = Field(description="What the link turned off")
    kind: NotificationKind | None = Field(description="The kind now set to never; empty when all e-mail is off")
