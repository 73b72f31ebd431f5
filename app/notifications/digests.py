"""Daily and weekly digests: the notifications someone chose to hear about in bulk, in one readable e-mail.

``notify`` holds a ``DigestItem`` per notification. Once a day (at ``digest_hour`` UTC) and once a week (on
``digest_weekday``) the task queue calls :func:`run_due_digests`; each person's digest is built and queued in a
transaction of its own that takes their items with row locks (SKIP LOCKED on PostgreSQL; BEGIN IMMEDIATE serialises
SQLite) and marks them sent, so two workers never send an item twice. Items of someone who may not be e-mailed any
more (unsubscribed, or a kind now set to never) are marked too, without e-mail. A digest speaks its recipient's
language (or, without one, the default language of the one community it is about) and shows their time zone.
"""

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.communities.models import Community
from app.config import Settings, get_settings
from app.i18n import N_, _
from app.notifications import emails, rollups
from app.notifications import service as notifications_service
from app.notifications.models import Delivery, DigestItem, Notification, OutboxEmail

OTHER_PLACES = N_("Across Chorus")  # the heading of what belongs to no community


def due_cadences(now: datetime, *, settings: Settings | None = None) -> list[Delivery]:
    """The digests whose hour this is: daily at ``digest_hour`` UTC, weekly then too on ``digest_weekday``."""
    settings = settings or get_settings()
    if now.hour != settings.digest_hour:
        return []
    if now.weekday() == settings.digest_weekday:
        return [Delivery.daily, Delivery.weekly]
    return [Delivery.daily]


def people_waiting(session: Session, *, cadence: Delivery, now: datetime) -> list[int]:
    """Who has unsent items for this digest."""
    return list(
        session.exec(
            select(DigestItem.user_id)
            .where(
                DigestItem.cadence == cadence,
                col(DigestItem.sent_at).is_(None),
                col(DigestItem.created_at) <= now,
            )
            .distinct()
            .order_by(col(DigestItem.user_id))
        ).all()
    )


def _group(
    session: Session, *, items: list[DigestItem], notifications: dict[int, Notification], now: datetime
) -> list[emails.DigestCommunity]:
    community_ids = {item.community_id for item in items if item.community_id is not None}
    communities = (
        {c.id: c for c in session.exec(select(Community).where(col(Community.id).in_(community_ids))).all()}
        if community_ids
        else {}
    )
    groups: dict[int | None, emails.DigestCommunity] = {}
    other_places = _(OTHER_PLACES)
    kinds: dict[tuple[int | None, str], emails.DigestKind] = {}
    told: dict[tuple[int | None, str], list[Notification]] = {}
    # Newest first, so each kind shows its latest few.
    for item in sorted(items, key=lambda i: (i.created_at, i.id or 0), reverse=True):
        notification = notifications[item.notification_id]
        community = communities.get(item.community_id) if item.community_id is not None else None
        key = community.id if community is not None else None
        if key not in groups:
            groups[key] = emails.DigestCommunity(
                name=community.name if community is not None else other_places,
                url=emails.absolute(f"/c/{community.slug}" if community is not None else "/notifications"),
            )
        kind = kinds.get((key, notification.kind.value))
        if kind is None:
            kind = kinds[(key, notification.kind.value)] = emails.DigestKind(
                label=notifications_service.kind_label(notification.kind)
            )
            groups[key].kinds.append(kind)
        kind.count += 1
        told.setdefault((key, notification.kind.value), []).append(notification)
    # Many of one kind about one thing on one day read as one line, as on the notifications page.
    for place_and_kind, kind in kinds.items():
        for line in rollups.roll_up(told[place_and_kind], now=now)[: emails.ITEMS_PER_KIND]:
            kind.lines.append(emails.DigestLine(text=line.text, url=emails.absolute(line.link)))
            kind.shown += line.count
    for group in groups.values():
        group.kinds.sort(key=lambda k: (-k.count, k.label))
    # Communities by name; what belongs to no community last.
    return sorted(groups.values(), key=lambda g: (g is groups.get(None), g.name.lower()))


def send_digest(session: Session, *, user_id: int, cadence: Delivery, now: datetime) -> OutboxEmail | None:
    """Queue one person's digest of this cadence and mark its items sent, in the caller's transaction."""
    items = list(
        session.exec(
            select(DigestItem)
            .where(
                DigestItem.user_id == user_id,
                DigestItem.cadence == cadence,
                col(DigestItem.sent_at).is_(None),
                col(DigestItem.created_at) <= now,
            )
            .with_for_update(skip_locked=True)
        ).all()
    )
    if not items:
        return None
    for item in items:
        item.sent_at = now
        session.add(item)
    session.flush()
    user = session.get(User, user_id)
    if user is None or not notifications_service.may_email(session, user=user):
        return None
    notifications = {
        n.id or 0: n
        for n in session.exec(
            select(Notification).where(col(Notification.id).in_([item.notification_id for item in items]))
        ).all()
    }
    muted = {
        pref.kind
        for pref in notifications_service.list_preferences(session, user=user)
        if pref.delivery == Delivery.never
    }
    wanted = [item for item in items if notifications[item.notification_id].kind not in muted]
    if not wanted:
        return None
    community_ids = {item.community_id for item in wanted}
    only_community = (
        session.get(Community, community_ids.pop()) if len(community_ids) == 1 and None not in community_ids else None
    )
    with notifications_service.in_language_of(user, only_community):
        rendered = emails.digest_email(
            user=user,
            cadence=cadence.value,
            communities=_group(session, items=wanted, notifications=notifications, now=now),
            unsubscribe_url=notifications_service.unsubscribe_url(user, None),
        )
    return notifications_service.queue_email(
        session,
        to_address=user.email,
        subject=rendered.subject,
        body_text=rendered.body_text,
        body_html=rendered.body_html,
        headers=notifications_service.unsubscribe_headers(user, None),
    )


def run_digests(
    *,
    cadence: Delivery,
    now: datetime,
    sessions: Callable[[], AbstractContextManager[Session]] | None = None,
) -> int:
    """Send everyone's digest of this cadence, one transaction per person; returns how many e-mails were queued."""
    from app.db import session_scope

    open_session = sessions or session_scope
    with open_session() as session:
        waiting = people_waiting(session, cadence=cadence, now=now)
    sent = 0
    for user_id in waiting:
        with open_session() as session:
            if send_digest(session, user_id=user_id, cadence=cadence, now=now) is not None:
                sent += 1
    return sent


def run_due_digests(
    *, now: datetime, sessions: Callable[[], AbstractContextManager[Session]] | None = None
) -> dict[Delivery, int]:
    """What the hourly task does: the digests due at this hour, if any."""
    return {cadence: run_digests(cadence=cadence, now=now, sessions=sessions) for cadence in due_cadences(now)}
