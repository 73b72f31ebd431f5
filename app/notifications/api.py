"""JSON API for one's in-app notifications."""

from fastapi import APIRouter

from app.accounts.deps import AccountUser, Public
from app.columns import PageNumber
from app.db import SessionDep
from app.notifications import rollups, schemas
from app.notifications import service as notifications_service

router = APIRouter(tags=["notifications"])


@router.get(
    "/me/notifications",
    summary="My notifications, newest first, with the unread count; and the same rolled up into lines",
)
def list_notifications(session: SessionDep, user: AccountUser, page: PageNumber = 1) -> schemas.NotificationPage:
    items = notifications_service.list_notifications(session, user=user, page=page)
    groups = rollups.list_groups(session, user=user, page=page)
    return schemas.NotificationPage(
        unread_count=notifications_service.unread_count(session, user=user),
        page=max(page, 1),
        items=[schemas.NotificationPublic.model_validate(item) for item in items],
        unread_groups=rollups.unread_group_count(session, user=user),
        groups=[schemas.NotificationGroupPublic.model_validate(group) for group in groups],
    )


@router.post("/me/notifications/read", summary="Mark one notification read, or all of them")
def mark_read(body: schemas.MarkRead, session: SessionDep, user: AccountUser) -> schemas.UnreadCount:
    if body.notification_id is None:
        notifications_service.mark_all_read(session, user=user)
    elif body.whole_group:
        rollups.mark_group_read(session, user=user, notification_id=body.notification_id)
    else:
        notifications_service.mark_read(session, user=user, notification_id=body.notification_id)
    return schemas.UnreadCount(unread_count=notifications_service.unread_count(session, user=user))


def _preferences(session: SessionDep, user: AccountUser) -> schemas.NotificationPreferences:
    return schemas.NotificationPreferences(
        kinds=[
            schemas.KindPreferencePublic(kind=p.kind, label=p.label, delivery=p.delivery, default=p.default)
            for p in notifications_service.list_preferences(session, user=user)
        ],
        email_unsubscribed=notifications_service.is_email_unsubscribed(session, user=user),
        email_confirmed=user.is_confirmed,
    )


@router.get(
    "/me/notification-preferences",
    summary="How each kind of notification reaches me: immediately, daily or weekly digest, or never",
)
def get_preferences(session: SessionDep, user: AccountUser) -> schemas.NotificationPreferences:
    return _preferences(session, user)


@router.put("/me/notification-preferences", summary="Change how kinds of notification reach me")
def set_preferences(
    body: schemas.NotificationPreferencesUpdate, session: SessionDep, user: AccountUser
) -> schemas.NotificationPreferences:
    notifications_service.set_preferences(
        session, user=user, choices=body.preferences, email_unsubscribed=body.email_unsubscribed
    )
    return _preferences(session, user)


@router.post(
    "/unsubscribe/{token}",
    summary="Follow an e-mail's unsubscribe link (no login: the signed token is the authority)",
)
def unsubscribe(token: str, session: SessionDep, _visitor: Public) -> schemas.Unsubscribed:
    done = notifications_service.unsubscribe(session, token=token)
    return schemas.Unsubscribed(unsubscribed_from=done.what, kind=done.kind)
