"""HTML pages for accounts: sign-up, confirmation, log in and out, password reset, settings, profiles."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts import service as accounts_service
from app.accounts.deps import AccountUser, Public, clear_session_cookie, session_token, set_session_cookie
from app.columns import RowId
from app.communities import service as communities_service
from app.db import SessionDep
from app.errors import AppError, Invalid
from app.moderation import service as moderation_service
from app.rewards.referral_links import referral_code_from_cookie
from app.web import flash
from app.web.forms import form_error
from app.web.requests import client_ip, redirect, safe_next
from app.web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)
FormText = Annotated[str, Form()]


@router.get("/signup", name="accounts:signup")
def signup_page(request: Request, user: Public, next: str = "/") -> Response:
    if user is not None:
        return redirect(request, "/")
    return render(request, "accounts/signup.html", {"form": {}, "next": safe_next(next)})


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
) -> Response:
    form = {"email": email, "handle": handle, "display_name": display_name}
    try:
        user = accounts_service.sign_up(
            session,
            email=email,
            handle=handle,
            display_name=display_name,
            password=password,
            client_ip=client_ip(request),
            referral_code=referral_code_from_cookie(request),
            next_path=safe_next(next),
        )
    except AppError as error:
        context = {"form": form, "next": safe_next(next)}
        return form_error(request, session, "accounts/signup.html", context, error)
    return render(request, "accounts/signup_done.html", {"email": user.email})


@router.get("/confirm/resend", name="accounts:resend_confirmation")
def resend_confirmation_page(request: Request, _visitor: Public) -> Response:
    return render(request, "accounts/resend_confirmation.html", {"form": {}})


@router.post("/confirm/resend")
def resend_confirmation(request: Request, session: SessionDep, _visitor: Public, email: FormText = "") -> Response:
    try:
        accounts_service.resend_confirmation(session, email=email, client_ip=client_ip(request))
    except AppError as error:
        return form_error(request, session, "accounts/resend_confirmation.html", {"form": {"email": email}}, error)
    return render(request, "accounts/signup_done.html", {"email": email.strip().lower(), "resent": True})


@router.get("/confirm/{token}", name="accounts:confirm")
def confirm(request: Request, token: str, session: SessionDep, visitor: Public, next: str = "/") -> Response:
    try:
        confirmation = accounts_service.confirm_email_and_sign_in(
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
        response = redirect(request, safe_next(next))
        set_session_cookie(response, confirmation.session_token)
        flash.add(response, request, "Your e-mail address is confirmed.")
        return response
    if visitor is not None and visitor.id == confirmation.user.id:
        return redirect(request, safe_next(next))
    # Confirmed before: the link signs nobody in a second time.
    response = redirect(request, "/login?next=" + quote(safe_next(next)))
    flash.add(response, request, "Your e-mail address is confirmed already. Log in to continue.", "info")
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
        user = accounts_service.authenticate(session, login=login, password=password, client_ip=client_ip(request))
    except AppError as error:
        return form_error(
            request,
            session,
            "accounts/login.html",
            {"form": {"login": login}, "next": safe_next(next)},
            error,
        )
    token = accounts_service.start_session(
        session, user=user, ip_address=client_ip(request), user_agent=request.headers.get("user-agent", "")
    )
    response = redirect(request, safe_next(next))
    set_session_cookie(response, token)
    flash.add(response, request, f"Welcome back, {user.display_name}.")
    return response


@router.post("/logout", name="accounts:logout")
def logout(request: Request, session: SessionDep, _user: AccountUser) -> Response:
    token = session_token(request)
    if token:
        accounts_service.end_session(session, token=token)
    response = redirect(request, "/")
    clear_session_cookie(response)
    flash.add(response, request, "You are logged out.", "info")
    return response


@router.get("/reset", name="accounts:reset")
def reset_request_page(request: Request, _visitor: Public) -> Response:
    return render(request, "accounts/reset_request.html", {"form": {}})


@router.post("/reset")
def reset_request(request: Request, session: SessionDep, _visitor: Public, email: FormText = "") -> Response:
    try:
        accounts_service.request_password_reset(session, email=email, client_ip=client_ip(request))
    except AppError as error:
        return form_error(request, session, "accounts/reset_request.html", {"form": {"email": email}}, error)
    return render(request, "accounts/reset_sent.html", {"email": email.strip().lower()})


@router.get("/reset/{token}", name="accounts:reset_password")
def reset_password_page(request: Request, token: str, session: SessionDep, _visitor: Public) -> Response:
    try:
        user = accounts_service.user_for_reset_token(session, token=token)
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
        accounts_service.reset_password(session, token=token, new_password=password)
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
    flash.add(response, request, "Your password is changed. Log in with the new one.")
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
    flash.add(response, request, "Your profile is saved.")
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
        accounts_service.change_password(session, user=user, current_password=current_password, new_password=password)
    except AppError as error:
        context = {"form": {"display_name": user.display_name, "bio": user.bio}, "password_form": True}
        return form_error(request, session, "accounts/settings.html", context, error)
    # Every session ended with the change, this one too; start a fresh one so the user stays logged in here.
    token = accounts_service.start_session(
        session, user=user, ip_address=client_ip(request), user_agent=request.headers.get("user-agent", "")
    )
    response = redirect(request, "/settings")
    set_session_cookie(response, token)
    flash.add(response, request, "Your password is changed, and your other devices are logged out.")
    return response


@router.get("/settings/tokens", name="accounts:tokens")
def tokens_page(request: Request, session: SessionDep, user: AccountUser) -> Response:
    tokens = accounts_service.list_api_tokens(session, user=user)
    return render(request, "accounts/tokens.html", {"tokens": tokens, "form": {}}, block="tokens")


@router.post("/settings/tokens")
def create_token(request: Request, session: SessionDep, user: AccountUser, name: FormText = "") -> Response:
    try:
        _, plain = accounts_service.create_api_token(session, user=user, name=name)
    except AppError as error:
        tokens = accounts_service.list_api_tokens(session, user=user)
        return form_error(
            request,
            session,
            "accounts/tokens.html",
            {"tokens": tokens, "form": {"name": name}},
            error,
            block="tokens",
        )
    tokens = accounts_service.list_api_tokens(session, user=user)
    return render(request, "accounts/tokens.html", {"tokens": tokens, "form": {}, "new_token": plain}, block="tokens")


@router.post("/settings/tokens/{token_id}/revoke", name="accounts:revoke_token")
def revoke_token(request: Request, token_id: RowId, session: SessionDep, user: AccountUser) -> Response:
    accounts_service.revoke_api_token(session, user=user, token_id=token_id)
    tokens = accounts_service.list_api_tokens(session, user=user)
    return render(
        request,
        "accounts/tokens.html",
        {"tokens": tokens, "form": {}, "notice": "The token is revoked."},
        block="tokens",
    )


@router.get("/u/{handle}", name="accounts:profile")
def profile(request: Request, handle: str, session: SessionDep, viewer: Public) -> Response:
    member = accounts_service.get_user_by_handle(session, handle=handle)
    communities = communities_service.list_shared_memberships(session, user=member, viewer=viewer)
    report_in = moderation_service.profile_report_communities(session, reporter=viewer, member=member)
    return render(
        request, "accounts/profile.html", {"member": member, "communities": communities, "report_in": report_in}
    )
