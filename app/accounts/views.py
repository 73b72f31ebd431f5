"""HTML pages for accounts: sign-up, confirmation, log in and out, password reset, settings, profiles."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.accounts import passwords as accounts_passwords
from app.accounts import service as accounts_service
from app.accounts import sessions as accounts_sessions
from app.accounts import signup as accounts_signup
from app.accounts import tokens as accounts_tokens
from app.accounts import two_factor
from app.accounts.deps import (
    AccountUser,
    CurrentSignIn,
    Public,
    clear_session_cookie,
    session_token,
    set_session_cookie,
)
from app.accounts.models import TokenScope, User
from app.accounts.two_factor_views import start_code_step
from app.columns import RowId, utcnow
from app.communities import arrivals
from app.communities import service as communities_service
from app.db import SessionDep
from app.errors import AppError, Invalid
from app.i18n import _, ngettext
from app.moderation import reports as moderation_reports
from app.questions import reading as questions_reading
from app.rewards.referral_links import referral_code_from_cookie
from app.web import flash
from app.web.forms import form_error
from app.web.requests import client_ip, redirect, safe_next
from app.web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)
FormText = Annotated[str, Form()]


def _arrival(request: Request, session: Session, share: str) -> arrivals.Arrival | None:
    return arrivals.find_arrival(session, share_code=share[:40], referral_code=referral_code_from_cookie(request))


@router.get("/signup", name="accounts:signup")
def signup_page(request: Request, session: SessionDep, user: Public, next: str = "/", share: str = "") -> Response:
    """The sign-up form; through a referral or share link (``share``) it names the community it leads to."""
    if user is not None:
        return redirect(request, "/")
    arrival = _arrival(request, session, share)
    return render(request, "accounts/signup.html", {"form": {}, "next": safe_next(next), "arrival": arrival})


@router.post("/signup")
def signup(
    request: Request,
    session: SessionDep,
    _visitor: Public,
    email: FormText = "",
    handle: FormText = "",
    display_name: FormText = "",
    password: FormText = "",
    next: FormText = "/",
    share: FormText = "",
) -> Response:
    form = {"email": email, "handle": handle, "display_name": display_name}
    arrival = _arrival(request, session, share)
    try:
        user = accounts_signup.sign_up(
            session,
            email=email,
            handle=handle,
            display_name=display_name,
            password=password,
            client_ip=client_ip(request),
            referral_code=referral_code_from_cookie(request),
            next_path=safe_next(next),
            community_id=arrival.community.id if arrival else None,
            share_code=arrival.share_code if arrival else "",
        )
    except AppError as error:
        context = {"form": form, "next": safe_next(next), "arrival": arrival}
        return form_error(request, session, "accounts/signup.html", context, error)
    return render(request, "accounts/signup_done.html", {"email": user.email, "arrival": arrival})


@router.get("/confirm/resend", name="accounts:resend_confirmation")
def resend_confirmation_page(request: Request, _visitor: Public) -> Response:
    return render(request, "accounts/resend_confirmation.html", {"form": {}})


@router.post("/confirm/resend")
def resend_confirmation(request: Request, session: SessionDep, _visitor: Public, email: FormText = "") -> Response:
    try:
        accounts_signup.resend_confirmation(session, email=email, client_ip=client_ip(request))
    except AppError as error:
        return form_error(request, session, "accounts/resend_confirmation.html", {"form": {"email": email}}, error)
    return render(request, "accounts/signup_done.html", {"email": email.strip().lower(), "resent": True})


@router.get("/confirm/{token}", name="accounts:confirm")
def confirm(request: Request, token: str, session: SessionDep, visitor: Public, next: str = "/") -> Response:
    try:
        confirmation = accounts_signup.confirm_email_and_sign_in(
            session, token=token, ip_address=client_ip(request), user_agent=request.headers.get("user-agent", "")
        )
    except Invalid as error:
        session.rollback()
        return render(
            request,
            "accounts/link_problem.html",
            {"message": error.message, "retry_url": "/confirm/resend"},
            status_code=400,
        )
    if confirmation.session_token is not None:
        landing = None
        if confirmation.community_id is not None:
            landing = arrivals.land(
                session,
                user=confirmation.user,
                community_id=confirmation.community_id,
                share_code=confirmation.share_code,
            )
        response = redirect(request, f"/c/{landing.community.slug}" if landing else safe_next(next))
        set_session_cookie(response, confirmation.session_token)
        if landing is None:
            flash.add(response, request, _("Your e-mail address is confirmed."))
        elif landing.joined:
            flash.add(
                response,
                request,
                _("Your e-mail address is confirmed. Welcome to %(community)s!", community=landing.community.name),
            )
        else:
            message = _(
                "Your e-mail address is confirmed. %(community)s is invite-only: ask its team.",
                community=landing.community.name,
            )
            flash.add(response, request, message, "info")
        return response
    if visitor is not None and visitor.id == confirmation.user.id:
        return redirect(request, safe_next(next))
    # Confirmed before: the link signs nobody in a second time.
    response = redirect(request, "/login?next=" + quote(safe_next(next)))
    flash.add(response, request, _("Your e-mail address is confirmed already. Log in to continue."), "info")
    return response


@router.get("/login", name="accounts:login")
def login_page(request: Request, user: Public, next: str = "/") -> Response:
    if user is not None:
        return redirect(request, safe_next(next))
    return render(request, "accounts/login.html", {"form": {}, "next": safe_next(next)})


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    _visitor: Public,
    login: FormText = "",
    password: FormText = "",
    next: FormText = "/",
) -> Response:
    try:
        user = accounts_sessions.authenticate(session, login=login, password=password, client_ip=client_ip(request))
    except AppError as error:
        return form_error(
            request,
            session,
            "accounts/login.html",
            {"form": {"login": login}, "next": safe_next(next)},
            error,
        )
    if user.has_two_factor:
        return start_code_step(request, user, next)
    token = accounts_sessions.start_session(
        session, user=user, ip_address=client_ip(request), user_agent=request.headers.get("user-agent", "")
    )
    response = redirect(request, safe_next(next))
    set_session_cookie(response, token)
    flash.add(response, request, _("Welcome back, %(name)s.", name=user.display_name))
    return response


@router.post("/logout", name="accounts:logout")
def logout(request: Request, session: SessionDep, _user: AccountUser) -> Response:
    token = session_token(request)
    if token:
        accounts_sessions.end_session(session, token=token)
    response = redirect(request, "/")
    clear_session_cookie(response)
    flash.add(response, request, _("You are logged out."), "info")
    return response


@router.get("/reset", name="accounts:reset")
def reset_request_page(request: Request, _visitor: Public) -> Response:
    return render(request, "accounts/reset_request.html", {"form": {}})


@router.post("/reset")
def reset_request(request: Request, session: SessionDep, _visitor: Public, email: FormText = "") -> Response:
    try:
        accounts_passwords.request_password_reset(session, email=email, client_ip=client_ip(request))
    except AppError as error:
        return form_error(request, session, "accounts/reset_request.html", {"form": {"email": email}}, error)
    return render(request, "accounts/reset_sent.html", {"email": email.strip().lower()})


@router.get("/reset/{token}", name="accounts:reset_password")
def reset_password_page(request: Request, token: str, session: SessionDep, _visitor: Public) -> Response:
    try:
        user = accounts_passwords.user_for_reset_token(session, token=token)
    except Invalid as error:
        return render(
            request,
            "accounts/link_problem.html",
            {"message": error.message, "retry_url": "/reset"},
            status_code=400,
        )
    return render(request, "accounts/reset_password.html", {"token": token, "handle": user.handle})


@router.post("/reset/{token}")
def reset_password(
    request: Request, token: str, session: SessionDep, _visitor: Public, password: FormText = ""
) -> Response:
    try:
        changed = accounts_passwords.reset_password(session, token=token, new_password=password)
    except AppError as error:
        if not error.fields:  # the link itself is bad, not the password
            session.rollback()
            return render(
                request,
                "accounts/link_problem.html",
                {"message": error.message, "retry_url": "/reset"},
                status_code=400,
            )
        return form_error(request, session, "accounts/reset_password.html", {"token": token}, error)
    response = redirect(request, "/login")
    clear_session_cookie(response)
    if changed.revoked_tokens:
        message = ngettext(
            "Your password is changed, every device is logged out and your %(num)s API token revoked (make new ones "
            "under Settings, API tokens). Log in with the new one.",
            "Your password is changed, every device is logged out and your %(num)s API tokens revoked (make new ones "
            "under Settings, API tokens). Log in with the new one.",
            changed.revoked_tokens,
        )
    else:
        message = _("Your password is changed, and every device is logged out. Log in with the new one.")
    flash.add(response, request, message)
    return response


@router.get("/settings", name="accounts:settings")
def settings_page(request: Request, user: AccountUser) -> Response:
    return render(request, "accounts/settings.html", {"form": {"display_name": user.display_name, "bio": user.bio}})


@router.post("/settings")
def update_settings(
    request: Request, session: SessionDep, user: AccountUser, display_name: FormText = "", bio: FormText = ""
) -> Response:
    form = {"display_name": display_name, "bio": bio}
    try:
        accounts_service.update_profile(session, user=user, display_name=display_name, bio=bio)
    except AppError as error:
        return form_error(request, session, "accounts/settings.html", {"form": form}, error)
    response = redirect(request, f"/u/{user.handle}")
    flash.add(response, request, _("Your profile is saved."))
    return response


@router.post("/settings/password", name="accounts:change_password")
def change_password(
    request: Request,
    session: SessionDep,
    user: AccountUser,
    current_password: FormText = "",
    password: FormText = "",
) -> Response:
    try:
        changed = accounts_passwords.change_password(
            session, user=user, current_password=current_password, new_password=password
        )
    except AppError as error:
        context = {"form": {"display_name": user.display_name, "bio": user.bio}, "password_form": True}
        return form_error(request, session, "accounts/settings.html", context, error)
    # Every session ended with the change, this one too; start a fresh one so the user stays logged in here.
    token = accounts_sessions.start_session(
        session, user=user, ip_address=client_ip(request), user_agent=request.headers.get("user-agent", "")
    )
    response = redirect(request, "/settings")
    set_session_cookie(response, token)
    if changed.revoked_tokens:
        message = ngettext(
            "Your password is changed, your other devices are logged out and your %(num)s API token revoked (make "
            "new ones under Settings, API tokens).",
            "Your password is changed, your other devices are logged out and your %(num)s API tokens revoked (make "
            "new ones under Settings, API tokens).",
            changed.revoked_tokens,
        )
    else:
        message = _("Your password is changed, and your other devices are logged out.")
    flash.add(response, request, message)
    return response


def _tokens_context(session: Session, user: User, sign_in: two_factor.SignIn, **extra: object) -> dict[str, object]:
    return {
        "tokens": accounts_tokens.list_api_tokens(session, user=user),
        "form": {"scope": TokenScope.read.value, "lifetime_days": str(accounts_service.DEFAULT_TOKEN_LIFETIME_DAYS)},
        "lifetime_options": [
            (str(days), ngettext("%(num)s day", "%(num)s days", days)) for days in accounts_service.TOKEN_LIFETIME_DAYS
        ],
        "needs_reauth": not sign_in.is_recent(),
        "now": utcnow(),
        **extra,
    }


@router.get("/settings/tokens", name="accounts:tokens")
def tokens_page(request: Request, session: SessionDep, user: AccountUser, sign_in: CurrentSignIn) -> Response:
    return render(request, "accounts/tokens.html", _tokens_context(session, user, sign_in), block="tokens")


@router.post("/settings/tokens")
def create_token(
    request: Request,
    session: SessionDep,
    user: AccountUser,
    sign_in: CurrentSignIn,
    name: FormText = "",
    scope: FormText = TokenScope.read.value,
    lifetime_days: FormText = str(accounts_service.DEFAULT_TOKEN_LIFETIME_DAYS),
    current_password_or_code: FormText = "",
) -> Response:
    form = {"name": name, "scope": scope, "lifetime_days": lifetime_days}
    try:
        two_factor.confirm_identity(
            session, user=user, sign_in=sign_in, password_or_code=current_password_or_code, client_ip=client_ip(request)
        )
        _token, plain = accounts_tokens.create_api_token(
            session,
            user=user,
            name=name,
            scope=TokenScope.read_write if scope == TokenScope.read_write.value else TokenScope.read,
            lifetime_days=int(lifetime_days) if lifetime_days.isdigit() else 0,
        )
    except AppError as error:
        session.rollback()
        context = {**_tokens_context(session, user, sign_in), "form": form}
        return form_error(request, session, "accounts/tokens.html", context, error, block="tokens")
    # A password or code just given counts as a fresh sign-in: the next token needs none.
    context = _tokens_context(session, user, sign_in, new_token=plain)
    context["needs_reauth"] = context["needs_reauth"] and not current_password_or_code
    return render(request, "accounts/tokens.html", context, block="tokens")


@router.post("/settings/tokens/{token_id}/revoke", name="accounts:revoke_token")
def revoke_token(
    request: Request, token_id: RowId, session: SessionDep, user: AccountUser, sign_in: CurrentSignIn
) -> Response:
    accounts_tokens.revoke_api_token(session, user=user, token_id=token_id)
    context = _tokens_context(session, user, sign_in, notice=_("The token is revoked."))
    return render(request, "accounts/tokens.html", context, block="tokens")


@router.get("/u/{handle}", name="accounts:profile")
def profile(request: Request, handle: str, session: SessionDep, viewer: Public) -> Response:
    member = accounts_service.get_user_by_handle(session, handle=handle)
    communities = communities_service.list_shared_memberships(session, user=member, viewer=viewer)
    report_in = moderation_reports.profile_report_communities(session, reporter=viewer, member=member)
    context = {
        "member": member,
        "communities": communities,
        "report_in": report_in,
        "helpful_answer_count": questions_reading.helpful_answer_count(session, user=member),
    }
    return render(request, "accounts/profile.html", context)
