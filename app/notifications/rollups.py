"""Notifications as people read them: many of one kind about one thing on one day roll up into one line ("You earned
€4.14 royalties from 6 sales today"), for the page, the bell and the JSON API alike.

Notifications that share a ``rollup_key`` (set by ``notify`` from its ``rollup``) form a group; any other notification
is a group of its own. A group is unread while any of its notifications is, and reading it reads them all.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, case, cast, literal
from sqlmodel import Session, col, func, select, update

from app.accounts.models import User
from app.columns import id_of, utcnow
from app.errors import NotFound
from app.i18n import _
from app.i18n.formatting import format_date, format_minor_units, format_number
from app.notifications.models import Notification, NotificationKind

GROUPS_PER_PAGE = 30


@dataclass(frozen=True)
class NotificationGroup:
    """One line of someone's notifications: one notification, or several rolled up."""

    newest_id: int  # reading the line reads the group through this one
    kind: NotificationKind
    text: str
    link: str
    created_at: datetime  # the newest's
    count: int
    unread_count: int
    rollup_key: str | None

    @property
    def is_unread(self) -> bool:
        return self.unread_count > 0


def _group_of() -> Any:
    """The group a notification belongs to: its rollup key, or itself."""
    return func.coalesce(col(Notification.rollup_key), literal("n:").concat(cast(col(Notification.id), String)))


def _day(moment: datetime, now: datetime) -> str:
    days = (now.date() - moment.date()).days
    if days == 0:
        return _("today")
    if days == 1:
        return _("yesterday")
    return _("on %(day)s", day=format_date(moment))


def _line(newest: Notification, *, count: int, amount_minor: int | None, now: datetime) -> str:
    if count == 1 or not newest.rollup_text:
        return newest.text
    amount = format_minor_units(amount_minor or 0, newest.currency) if newest.currency else ""
    return (
        newest.rollup_text.replace("{count}", format_number(count))
        .replace("{amount}", amount)
        .replace("{day}", _day(newest.created_at, now))
    )


def list_groups(session: Session, *, user: User, page: int = 1, now: datetime | None = None) -> list[NotificationGroup]:
    """Someone's notifications as lines, newest first, a page of lines at a time."""
    now = now or utcnow()
    page = max(page, 1)
    group = _group_of()
    newest_id = func.max(Notification.id)
    rows = session.exec(
        select(  # type: ignore[call-overload]
            newest_id,
            func.count(),
            func.sum(case((col(Notification.read_at).is_(None), 1), else_=0)),
            func.sum(Notification.amount_minor),
        )
        .where(Notification.user_id == user.id)
        .group_by(group)
        .order_by(newest_id.desc())
        .offset((page - 1) * GROUPS_PER_PAGE)
        .limit(GROUPS_PER_PAGE)
    ).all()
    if not rows:
        return []
    newest = {
        id_of(notification): notification
        for notification in session.exec(
            select(Notification).where(col(Notification.id).in_([row[0] for row in rows]))
        ).all()
    }
    groups = []
    for newest_of_group, count, unread, amount_minor in rows:
        notification = newest[newest_of_group or 0]
        groups.append(
            NotificationGroup(
                newest_id=id_of(notification),
                kind=notification.kind,
                text=_line(notification, count=count, amount_minor=amount_minor, now=now),
                link=notification.link,
                created_at=notification.created_at,
                count=count,
                unread_count=int(unread or 0),
                rollup_key=notification.rollup_key,
            )
        )
    return groups


def roll_up(notifications: Sequence[Notification], *, now: datetime | None = None) -> list[NotificationGroup]:
    """The same lines from notifications already loaded (a digest's), newest first."""
    now = now or utcnow()
    members: dict[str, list[Notification]] = {}
    for notification in sorted(notifications, key=id_of, reverse=True):
        members.setdefault(notification.rollup_key or f"n:{notification.id}", []).append(notification)
    groups = []
    for same_line in members.values():
        newest = same_line[0]
        amounts = [notification.amount_minor or 0 for notification in same_line]
        groups.append(
            NotificationGroup(
                newest_id=id_of(newest),
                kind=newest.kind,
                text=_line(newest, count=len(same_line), amount_minor=sum(amounts), now=now),
                link=newest.link,
                created_at=newest.created_at,
                count=len(same_line),
                unread_count=sum(1 for notification in same_line if notification.read_at is None),
                rollup_key=newest.rollup_key,
            )
        )
    return groups


def unread_group_count(session: Session, *, user: User) -> int:
    """How many unread lines someone has (what the bell shows): one query on their unread notifications."""
    return session.exec(
        select(func.count(func.distinct(_group_of()))).where(
            Notification.user_id == user.id, col(Notification.read_at).is_(None)
        )
    ).one()


def mark_group_read(session: Session, *, user: User, notification_id: int, now: datetime | None = None) -> Notification:
    """Read the line a notification is on: it and every notification rolled up with it (another person's answers
    as missing)."""
    notification = session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise NotFound(_("There is no such notification."))
    same_line = (
        col(Notification.rollup_key) == notification.rollup_key
        if notification.rollup_key is not None
        else col(Notification.id) == notification.id
    )
    session.exec(
        update(Notification)
        .where(col(Notification.user_id) == user.id, same_line, col(Notification.read_at).is_(None))
        .values(read_at=now or utcnow())
    )
    session.flush()
    session.refresh(notification)
    return notification
