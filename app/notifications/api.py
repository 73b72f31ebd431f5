"""JSON API for one's in-app notifications."""

from fastapi import APIRouter

from app.accounts.deps import AccountUser
from app.db import SessionDep
from app.notifications import schemas
from app.notifications import service as notifications_service

router = APIRouter(tags=["notifications"])


@router.get("/me/notifications", summary="My notifications, newest first, with the unread count")
def list_notifications(session: SessionDep, user: AccountUser, page: int = 1) -> schemas.NotificationPage:
    items = notifications_service.list_notifications(session, user=user, page=page)
    return schemas.NotificationPage(
        unread_count=notifications_service.unread_count(session, user=user),
        page=max(page, 1),
        items=[schemas.NotificationPublic.model_validate(item) for item in items],
    )


@router.post("/me/notifications/read", summary="Mark one notification read, or all of them")
def mark_read(body: schemas.MarkRead, session: SessionDep, user: AccountUser) -> schemas.UnreadCount:
    if body.notification_id is None:
        notifications_service.mark_all_read(session, user=user)
    else:
        notifications_service.mark_read(session, user=user, notification_id=body.notification_id)
    return schemas.UnreadCount(unread_count=notifications_service.unread_count(session, user=user))
