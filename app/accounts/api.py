"""JSON API for accounts: the same services as the pages."""

from fastapi import APIRouter, Request, Response, status

from app.accounts import service as accounts_service
from app.accounts.deps import AccountUser, Public, clear_session_cookie, session_token, set_session_cookie
from app.accounts.schemas import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenPublic,
    EmailOnly,
    LogIn,
    Message,
    PasswordChange,
    PasswordReset,
    ProfileUpdate,
    SignUp,
    TokenOnly,
    UserPrivate,
    UserPublic,
)
from app.columns import RowId
from app.db import SessionDep
from app.rewards.referral_links import referral_code_from_cookie
from app.web.requests import client_ip

router = APIRouter(tags=["accounts"])


@router.post("/users", status_code=status.HTTP_201_CREATED, response_model=UserPrivate, summary="Sign up")
def sign_up(body: SignUp, request: Request, session: SessionDep, _visitor: Public) -> UserPrivate:
    """Create an account; a confirmation link is e-mailed, and logging in works once it is followed."""
    user = accounts_service.sign_up(
        session,
        email=body.email,
        handle=body.handle,
        password=body.password,
        display_name=body.display_name,
        client_ip=client_ip(request),
        referral_code=referral_code_from_cookie(request),
    )
    return UserPrivate.model_validate(user)


@router.post("/auth/confirm", response_model=UserPrivate, summary="Confirm an e-mail address")
def confirm(body: TokenOnly, session: SessionDep, _visitor: Public) -> UserPrivate:
    return UserPrivate.model_validate(accounts_service.confirm_email(session, token=body.token))


@router.post("/auth/confirm/resend", response_model=Message, summary="Send the confirmation link again")
def resend_confirmation(body: EmailOnly, request: Request, session: SessionDep, _visitor: Public) -> Message:
    accounts_service.resend_confirmation(session, email=body.email, client_ip=client_ip(request))
    return Message(detail="If an unconfirmed account has this address, a new link is on its way.")


@router.post("/auth/session", response_model=UserPrivate, summary="Log in (sets the session cookie)")
def log_in(body: LogIn, request: Request, response: Response, session: SessionDep, _visitor: Public) -> UserPrivate:
    user = accounts_service.authenticate(
        session, login=body.login, password=body.password, client_ip=client_ip(request)
    )
    token = accounts_service.start_session(
        session, user=user, ip_address=client_ip(request), user_agent=request.headers.get("user-agent", "")
    )
    set_session_cookie(response, token)
    return UserPrivate.model_validate(user)


@router.delete("/auth/session", status_code=status.HTTP_204_NO_CONTENT, summary="Log out")
def log_out(request: Request, session: SessionDep, _user: AccountUser) -> Response:
    token = session_token(request)
    if token:
        accounts_service.end_session(session, token=token)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookie(response)
    return response


@router.post("/auth/password-reset", response_model=Message, summary="E-mail a password reset link")
def request_password_reset(body: EmailOnly, request: Request, session: SessionDep, _visitor: Public) -> Message:
    accounts_service.request_password_reset(session, email=body.email, client_ip=client_ip(request))
    return Message(detail="If an account has this address, a reset link is on its way.")


@router.post("/auth/password-reset/confirm", response_model=Message, summary="Set a new password from a reset link")
def reset_password(body: PasswordReset, session: SessionDep, _visitor: Public) -> Message:
    accounts_service.reset_password(session, token=body.token, new_password=body.password)
    return Message(detail="The password is changed; every session was logged out.")


@router.get("/me", response_model=UserPrivate, summary="The logged-in account")
def me(user: AccountUser) -> UserPrivate:
    return UserPrivate.model_validate(user)


@router.patch("/me", response_model=UserPrivate, summary="Edit one's profile")
def update_me(body: ProfileUpdate, session: SessionDep, user: AccountUser) -> UserPrivate:
    accounts_service.update_profile(session, user=user, display_name=body.display_name, bio=body.bio)
    return UserPrivate.model_validate(user)


@router.post("/me/password", response_model=Message, summary="Change one's password")
def change_password(body: PasswordChange, session: SessionDep, user: AccountUser) -> Message:
    accounts_service.change_password(
        session, user=user, current_password=body.current_password, new_password=body.password
    )
    return Message(detail="The password is changed; every session was logged out.")


@router.get("/me/tokens", response_model=list[ApiTokenPublic], summary="One's personal API tokens")
def list_tokens(session: SessionDep, user: AccountUser) -> list[ApiTokenPublic]:
    return [ApiTokenPublic.model_validate(token) for token in accounts_service.list_api_tokens(session, user=user)]


@router.post(
    "/me/tokens",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiTokenCreated,
    summary="Create a personal API token",
)
def create_token(body: ApiTokenCreate, session: SessionDep, user: AccountUser) -> ApiTokenCreated:
    token, plain = accounts_service.create_api_token(session, user=user, name=body.name)
    return ApiTokenCreated(**ApiTokenPublic.model_validate(token).model_dump(), token=plain)


@router.delete("/me/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke a token")
def revoke_token(token_id: RowId, session: SessionDep, user: AccountUser) -> Response:
    accounts_service.revoke_api_token(session, user=user, token_id=token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/users/{handle}", response_model=UserPublic, summary="A member's public profile")
def profile(handle: str, session: SessionDep, _visitor: Public) -> UserPublic:
    return UserPublic.model_validate(accounts_service.get_user_by_handle(session, handle=handle))
