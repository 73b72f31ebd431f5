"""The development outbox (every queued e-mail, off in production), and one's in-app notifications and the bell."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.deps import AccountUser, Public
from app.config import get_settings
from app.db import SessionDep
from app.errors import NotFound
from app.notifications import service as notifications_service
from app.web.requests import redirect, safe_next
from app.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)


def _require_dev_outbox() -> None:
    if not get_settings().dev_outbox_enabled:
        raise NotFound("Page not found.")


@router.get("/dev/outbox", name="notifications:outbox")
def outbox(request: Request, session: SessionDep, _visitor: Public, to: str = "") -> Response:
    _require_dev_outbox()
    emails = notifications_service.list_outbox(session, to_address=to or None)
    return render(request, "notifications/outbox.html", {"emails": emails, "to": to})


@router.get("/dev/outbox/{email_id}", name="notifications:outbox_email")
def outbox_email(request: Request, email_id: int, session: SessionDep, _visitor: Public) -> Response:
    _require_dev_outbox()
    email = notifications_service.get_outbox_email(session, email_id=email_id)
    if email is None:
        raise NotFound("There is no such e-mail in the outbox.")
    return render(request, "notifications/outbox_email.html", {"email": email})


@router.get("/notifications", name="notifications:list")
def notifications_page(request: Request, session: SessionDep, user: AccountUser, page: int = 1) -> Response:
    page = max(page, 1)
    items = notifications_service.list_notifications(session, user=user, page=page)
    context = {
        "items": items,
        "page": page,
        "has_more": len(items) == notifications_service.NOTIFICATIONS_PER_PAGE,
        "unread": notifications_service.unread_count(session, user=user),
    }
    return render(request, "notifications/list.html", context, block="notifications")


@router.post("/notifications/read", name="notifications:read")
def mark_read(
    request: Request, session: SessionDep, user: AccountUser, notification_id: Annotated[str, Form()] = ""
) -> Response:
    """Mark one notification read (and follow its link), or all of them."""
    if notification_id.isdigit():
        notification = notifications_service.mark_read(session, user=user, notification_id=int(notification_id))
        return redirect(request, safe_next(notification.link, "/notifications"))
    notifications_service.mark_all_read(session, user=user)
    if is_htmx(request):
        return notifications_page(request, session, user)
    return redirect(request, "/notifications")


@router.get("/notifications/bell", name="notifications:bell")
def bell(request: Request, session: SessionDep, user: AccountUser) -> Response:
    """The header's link with the unread count, loaded by htmx after the page (one COUNT on an index)."""
    return render(
        request, "notifications/_bell.html", {"unread": notifications_service.unread_count(session, user=user)}
    )
