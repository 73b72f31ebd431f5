"""The development outbox: every queued e-mail, readable in the browser (off in production)."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.accounts.deps import Public
from app.config import get_settings
from app.db import SessionDep
from app.errors import NotFound
from app.notifications import service as notifications_service
from app.web.templating import render

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
