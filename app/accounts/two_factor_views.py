"""HTML pages for two-factor authentication: the code step of logging in (with a recovery code for a lost device),
and turning it on and off under Settings."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.accounts import sessions as accounts_sessions
from app.accounts import two_factor
from app.accounts.deps import AccountUser, CurrentSignIn, Public, set_session_cookie
from app.accounts.models import User
from app.config import get_settings
from app.db import SessionDep
from app.errors import AppError
from app.i18n import _, ngettext
from app.web import flash
from app.web.forms import form_error
from app.web.requests import client_ip, redirect, safe_next
from app.web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)
FormText = Annotated[str, Form()]

# The half-signed-in state: a signed note that the password was right (app.accounts.two_factor), sent only to the
# code pages. It is no session: every other page still sees a visitor.
PENDING_COOKIE = "chorus_two_factor_pending"
PENDING_COOKIE_PATH = "/login"


def start_code_step(request: Request, user: User, next_path: str) -> Response:
    """After a right password for an account with two-factor: on to the code page, still signed out."""
    response = redirect(request, f"/login/two-factor?next={safe_next(next_path)}")
    response.set_cookie(
        PENDING_COOKIE,
        two_factor.pending_sign_in_token(user=user),
        max_age=two_factor.PENDING_SIGN_IN_MINUTES * 60,
        path=PENDING_COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=get_settings().cookie_secure,
    )
    return response


def _pending_user(request: Request, session: Session) -> User | None:
    return two_factor.user_for_pending_sign_in(session, token=request.cookies.get(PENDING_COOKIE, ""))


def _back_to_login(request: Request, next_path: str) -> Response:
    """No password step waiting for its code: say so (a page, not a redirect, so a visitor who bookmarked the code
    page learns why it sends them back)."""
    response = render(
        request,
        "accounts/code_step_expired.html",
        {"next": safe_next(next_path), "minutes": two_factor.PENDING_SIGN_IN_MINUTES},
        status_code=400,
    )
    response.delete_cookie(PENDING_COOKIE, path=PENDING_COOKIE_PATH)
    return response


def _code_step(request: Request, session: Session, *, code: str, next_path: str, template: str) -> Response:
    """Check the code (from the app, or a recovery code) and finish signing in."""
    user = _pending_user(request, session)
    if user is None:
        return _back_to_login(request, next_path)
    try:
        two_factor.verify_second_factor(session, user=user, code=code, client_ip=client_ip(request))
    except AppError as error:
        return form_error(request, session, template, {"next": safe_next(next_path)}, error)
    token = accounts_sessions.start_session(
        session, user=user, ip_address=client_ip(request), user_agent=request.headers.get("user-agent", "")
    )
    response = redirect(request, safe_next(next_path))
    response.delete_cookie(PENDING_COOKIE, path=PENDING_COOKIE_PATH)
    set_session_cookie(response, token)
    left = two_factor.recovery_codes_left(session, user=user)
    if template == "accounts/login_recovery.html":
        flash.add(
            response,
            request,
            ngettext(
                "Welcome back, %(name)s. That recovery code is used up; %(num)s left. "
                "Set up your authenticator app again under Settings, Two-factor.",
                "Welcome back, %(name)s. That recovery code is used up; %(num)s left. "
                "Set up your authenticator app again under Settings, Two-factor.",
                left,
                name=user.display_name,
            ),
            "info",
        )
    else:
        flash.add(response, request, _("Welcome back, %(name)s.", name=user.display_name))
    return response


@router.get("/login/two-factor", name="accounts:two_factor_login")
def code_page(request: Request, session: SessionDep, _visitor: Public, next: str = "/") -> Response:
    if _pending_user(request, session) is None:
        return _back_to_login(request, next)
    return render(request, "accounts/login_code.html", {"next": safe_next(next)})


@router.post("/login/two-factor")
def enter_code(
    request: Request, session: SessionDep, _visitor: Public, code: FormText = "", next: FormText = "/"
) -> Response:
    return _code_step(request, session, code=code, next_path=next, template="accounts/login_code.html")


@router.get("/login/recovery", name="accounts:recovery_login")
def recovery_page(request: Request, session: SessionDep, _visitor: Public, next: str = "/") -> Response:
    if _pending_user(request, session) is None:
        return _back_to_login(request, next)
    return render(request, "accounts/login_recovery.html", {"next": safe_next(next)})


@router.post("/login/recovery")
def enter_recovery_code(
    request: Request, session: SessionDep, _visitor: Public, code: FormText = "", next: FormText = "/"
) -> Response:
    return _code_step(request, session, code=code, next_path=next, template="accounts/login_recovery.html")


# --- Settings ---------------------------------------------------------------------------------------------------


def _settings_context(
    session: Session, user: User, sign_in: two_factor.SignIn, next_path: str, setup_token: str = ""
) -> dict[str, object]:
    context: dict[str, object] = {
        "needs_reauth": not sign_in.is_recent(),
        "required_because": two_factor.two_factor_required_reason(session, user=user),
        "next": safe_next(next_path, default=""),
    }
    if user.has_two_factor:
        context["codes_left"] = two_factor.recovery_codes_left(session, user=user)
    elif setup_token:
        try:
            context["setup"] = two_factor.setup_from_token(user=user, setup_token=setup_token)
        except AppError:
            context["setup"] = two_factor.start_two_factor_setup(user=user)
    else:
        context["setup"] = two_factor.start_two_factor_setup(user=user)
    return context


@router.get("/settings/two-factor", name="accounts:two_factor")
def settings_page(
    request: Request, session: SessionDep, user: AccountUser, sign_in: CurrentSignIn, next: str = ""
) -> Response:
    return render(request, "accounts/two_factor.html", _settings_context(session, user, sign_in, next))


@router.post("/settings/two-factor")
def enable(
    request: Request,
    session: SessionDep,
    user: AccountUser,
    sign_in: CurrentSignIn,
    setup_token: FormText = "",
    code: FormText = "",
    current_password_or_code: FormText = "",
    next: FormText = "",
) -> Response:
    try:
        two_factor.confirm_identity(
            session, user=user, sign_in=sign_in, password_or_code=current_password_or_code, client_ip=client_ip(request)
        )
        codes = two_factor.enable_two_factor(session, user=user, setup_token=setup_token, code=code)
    except AppError as error:
        session.rollback()
        context = _settings_context(session, user, sign_in, next, setup_token=setup_token)
        return form_error(request, session, "accounts/two_factor.html", context, error)
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "just_enabled": True, "next": safe_next(next, default="/settings/two-factor")},
    )


@router.post("/settings/two-factor/recovery-codes", name="accounts:recovery_codes")
def regenerate_recovery_codes(
    request: Request,
    session: SessionDep,
    user: AccountUser,
    sign_in: CurrentSignIn,
    current_password_or_code: FormText = "",
) -> Response:
    try:
        two_factor.confirm_identity(
            session, user=user, sign_in=sign_in, password_or_code=current_password_or_code, client_ip=client_ip(request)
        )
        codes = two_factor.regenerate_recovery_codes(session, user=user)
    except AppError as error:
        session.rollback()
        context = {**_settings_context(session, user, sign_in, ""), "form_name": "codes"}
        return form_error(request, session, "accounts/two_factor.html", context, error)
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": "/settings/two-factor"})


@router.post("/settings/two-factor/disable", name="accounts:disable_two_factor")
def disable(
    request: Request,
    session: SessionDep,
    user: AccountUser,
    sign_in: CurrentSignIn,
    current_password_or_code: FormText = "",
) -> Response:
    try:
        two_factor.confirm_identity(
            session, user=user, sign_in=sign_in, password_or_code=current_password_or_code, client_ip=client_ip(request)
        )
        two_factor.disable_two_factor(session, user=user)
    except AppError as error:
        session.rollback()
        context = {**_settings_context(session, user, sign_in, ""), "form_name": "disable"}
        return form_error(request, session, "accounts/two_factor.html", context, error)
    response = redirect(request, "/settings/two-factor")
    flash.add(response, request, _("Two-factor authentication is off; your recovery codes no longer work."), "info")
    return response
