"""The development outbox (every queued e-mail, off in production), and one's in-app notifications and the bell."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from app.accounts.deps import AccountUser, Public
from app.columns import PageNumber, RowId
from app.config import get_settings
from app.db import SessionDep
from app.errors import AppError, NotFound
from app.i18n import N_, _
from app.notifications import rollups
from app.notifications import service as notifications_service
from app.notifications.models import Delivery
from app.web import flash
from app.web.forms import form_error
from app.web.requests import redirect, safe_next
from app.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)


def _require_dev_outbox() -> None:
    if not get_settings().dev_outbox_enabled:
        raise NotFound(_("Page not found."))


@router.get("/dev/outbox", name="notifications:outbox")
def outbox(request: Request, session: SessionDep, _visitor: Public, to: str = "") -> Response:
    _require_dev_outbox()
    emails = notifications_service.list_outbox(session, to_address=to or None)
    return render(request, "notifications/outbox.html", {"emails": emails, "to": to})


@router.get("/dev/outbox/{email_id}", name="notifications:outbox_email")
def outbox_email(request: Request, email_id: RowId, session: SessionDep, _visitor: Public) -> Response:
    _require_dev_outbox()
    email = notifications_service.get_outbox_email(session, email_id=email_id)
    if email is None:
        raise NotFound(_("There is no such e-mail in the outbox."))
    return render(request, "notifications/outbox_email.html", {"email": email})


@router.get("/notifications", name="notifications:list")
def notifications_page(request: Request, session: SessionDep, user: AccountUser, page: PageNumber = 1) -> Response:
    page = max(page, 1)
    groups = rollups.list_groups(session, user=user, page=page)
    context = {
        "groups": groups,
        "page": page,
        "has_more": len(groups) == rollups.GROUPS_PER_PAGE,
        "unread": rollups.unread_group_count(session, user=user),
    }
    return render(request, "notifications/list.html", context, block="notifications")


@router.post("/notifications/read", name="notifications:read")
def mark_read(
    request: Request, session: SessionDep, user: AccountUser, notification_id: Annotated[str, Form()] = ""
) -> Response:
    """Mark one line read, every notification rolled up in it (and follow its link), or all of them."""
    if notification_id.isdigit():
        notification = rollups.mark_group_read(session, user=user, notification_id=int(notification_id))
        return redirect(request, safe_next(notification.link, "/notifications"))
    notifications_service.mark_all_read(session, user=user)
    if is_htmx(request):
        return notifications_page(request, session, user)
    return redirect(request, "/notifications")


@router.get("/notifications/bell", name="notifications:bell")
def bell(request: Request, session: SessionDep, user: AccountUser) -> Response:
    """The header's link with the count of unread lines (as the notifications page rolls them up), loaded by htmx
    after the page."""
    return render(request, "notifications/_bell.html", {"unread": rollups.unread_group_count(session, user=user)})


# --- Notification settings ------------------------------------------------------------------------------------

DELIVERY_CHOICES = [
    (Delivery.immediately, N_("Immediately")),
    (Delivery.daily, N_("Daily digest")),
    (Delivery.weekly, N_("Weekly digest")),
    (Delivery.never, N_("Never (only the bell)")),
]


def _settings_context(
    session: SessionDep, user: AccountUser, chosen: dict[str, str] | None = None, unsubscribed: bool | None = None
) -> dict[str, object]:
    preferences = notifications_service.list_preferences(session, user=user)
    return {
        "preferences": preferences,
        "chosen": chosen or {pref.kind.value: pref.delivery.value for pref in preferences},
        "choices": [(delivery, _(text)) for delivery, text in DELIVERY_CHOICES],
        "email_unsubscribed": notifications_service.is_email_unsubscribed(session, user=user)
        if unsubscribed is None
        else unsubscribed,
        "email_confirmed": user.is_confirmed,
    }


@router.get("/settings/notifications", name="notifications:settings")
def settings_page(request: Request, session: SessionDep, user: AccountUser) -> Response:
    return render(request, "notifications/settings.html", _settings_context(session, user))


async def _posted_form(request: Request) -> FormData:
    """The form whose field names are not known in advance (one radio group per kind), read before the route's
    thread runs."""
    return await request.form()


@router.post("/settings/notifications")
def save_settings(
    request: Request, session: SessionDep, user: AccountUser, form: Annotated[FormData, Depends(_posted_form)]
) -> Response:
    """One form: a radio group per kind, and the switch for no e-mail at all."""
    chosen = {key.removeprefix("kind-"): str(value) for key, value in form.multi_items() if key.startswith("kind-")}
    unsubscribed = form.get("email_unsubscribed") == "1"
    try:
        notifications_service.set_preferences(session, user=user, choices=chosen, email_unsubscribed=unsubscribed)
    except AppError as error:
        context = _settings_context(session, user, chosen=chosen, unsubscribed=unsubscribed)
        return form_error(request, session, "notifications/settings.html", context, error)
    response = redirect(request, "/settings/notifications")
    flash.add(response, request, _("Notification settings saved."))
    return response


# --- Unsubscribe links: no login, the signed token is the authority ---------------------------------------------


@router.get("/unsubscribe/{token}", name="notifications:unsubscribe")
def unsubscribe_page(request: Request, token: str, session: SessionDep, _visitor: Public) -> Response:
    """Confirm first: link scanners follow GET links in e-mail, so only the button (a POST) unsubscribes."""
    try:
        found = notifications_service.read_unsubscribe_token(session, token=token)
    except AppError as error:
        return render(
            request, "notifications/unsubscribe.html", {"problem": error.message}, status_code=error.status_code
        )
    return render(request, "notifications/unsubscribe.html", {"what": found.what, "token": token, "done": False})


@router.post("/unsubscribe/{token}")
def unsubscribe(request: Request, token: str, session: SessionDep, _visitor: Public) -> Response:
    """The button, and RFC 8058 one-click: mail clients POST ``List-Unsubscribe=One-Click`` here (no CSRF token:
    the signed link is the authority, see app/web/csrf.py)."""
    try:
        done = notifications_service.unsubscribe(session, token=token)
    except AppError as error:
        return render(
            request, "notifications/unsubscribe.html", {"problem": error.message}, status_code=error.status_code
        )
    return render(request, "notifications/unsubscribe.html", {"what": done.what, "done": True})
