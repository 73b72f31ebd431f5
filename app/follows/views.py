"""HTML routes for following designers: the follow toggle on portfolios and design pages (htmx, or a plain form
that comes back to the page it was on)."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts import service as accounts_service
from app.accounts.deps import AccountUser
from app.accounts.models import User
from app.db import SessionDep
from app.errors import AppError
from app.follows import service as follows_service
from app.i18n import _
from app.web import flash
from app.web.requests import redirect, safe_next
from app.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]


def _answer(
    request: Request,
    session: SessionDep,
    *,
    designer: User,
    viewer: User,
    next_url: str,
    message: str,
    error: AppError | None = None,
) -> Response:
    """The updated follow box (htmx), or back to the page the form was on (no JavaScript)."""
    back = safe_next(next_url, f"/u/{designer.handle}/designs")
    if is_htmx(request):
        context = {
            "follow": follows_service.follow_box(session, designer=designer, viewer=viewer),
            "follow_next": back,
            "follow_error": error.message if error else "",
        }
        return render(request, "follows/_follow.html", context, status_code=error.status_code if error else 200)
    response = redirect(request, back)
    flash.add(response, request, error.message if error else message, "error" if error else "success")
    return response


@router.post("/u/{handle}/follow", name="follows:follow")
def follow(request: Request, handle: str, session: SessionDep, user: AccountUser, next: FormText = "") -> Response:
    designer = accounts_service.get_user_by_handle(session, handle=handle)
    try:
        follows_service.follow_designer(session, follower=user, designer=designer)
    except AppError as error:
        return _answer(request, session, designer=designer, viewer=user, next_url=next, message="", error=error)
    message = _("You follow %(name)s: you will hear of their new designs and wins.", name=designer.display_name)
    return _answer(request, session, designer=designer, viewer=user, next_url=next, message=message)


@router.post("/u/{handle}/unfollow", name="follows:unfollow")
def unfollow(request: Request, handle: str, session: SessionDep, user: AccountUser, next: FormText = "") -> Response:
    designer = accounts_service.get_user_by_handle(session, handle=handle)
    follows_service.unfollow_designer(session, follower=user, designer=designer)
    message = _("You no longer follow %(name)s.", name=designer.display_name)
    return _answer(request, session, designer=designer, viewer=user, next_url=next, message=message)
