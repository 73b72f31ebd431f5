"""JSON API for accounts: the same services as the pages."""

from fastapi import APIRouter, Request, Response, status

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
from app.accounts.reads import OwnAccount
from app.accounts.schemas import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenPublic,
    EmailOnly,
    LogIn,
    Message,
    PasswordChange,
    PasswordChanged,
    PasswordReset,
    ProfileUpdate,
    Reauthentication,
    RecoveryCodes,
    SignUp,
    TokenOnly,
    TwoFactorEnable,
    TwoFactorSetupPublic,
    TwoFactorStatus,
    UserPrivate,
    UserPublic,
)
from app.columns import RowId
from app.communities import arrivals
from app.db import SessionDep
from app.i18n import _, ngettext
from app.rewards.referral_links import referral_code_from_cookie
from app.web.requests import client_ip

router = APIRouter(tags=["accounts"])


@router.post("/users", status_code=status.HTTP_201_CREATED, response_model=UserPrivate, summary="Sign up")
def sign_up(body: SignUp, request: Request, session: SessionDep, _visitor: Public) -> UserPrivate:
    """Create an account; a confirmation link is e-mailed, and logging in works once it is followed. Through a
    referral link (its cookie) or a campaign share link (``share_code``), confirming joins that community."""
    referral_code = referral_code_from_cookie(request)
    arrival = arrivals.find_arrival(session, share_code=body.share_code, referral_code=referral_code)
    user = accounts_signup.sign_up(
        session,
        email=body.email,
        handle=body.handle,
        password=body.password,
        display_name=body.display_name,
        client_ip=client_ip(request),
        referral_code=referral_code,
        community_id=arrival.community.id if arrival else None,
        share_code=arrival.share_code if arrival else "",
    )
    return UserPrivate.model_validate(user)


@router.post("/auth/confirm", response_model=UserPrivate, summary="Confirm an e-mail address")
def confirm(body: TokenOnly, session: SessionDep, _visitor: Public) -> UserPrivate:
    """Confirm the address; a sign-up that came through a referral or share link joins its community now."""
    confirmation = accounts_signup.confirm_email(session, token=body.token)
    if confirmation.community_id is not None:
        arrivals.land(
            session,
            user=confirmation.user,
            community_id=confirmation.community_id,
            share_code=confirmation.share_code,
        )
    return UserPrivate.model_validate(confirmation.user)


@router.post("/auth/confirm/resend", response_model=Message, summary="Send the confirmation link again")
def resend_confirmation(body: EmailOnly, request: Request, session: SessionDep, _visitor: Public) -> Message:
    accounts_signup.resend_confirmation(session, email=body.email, client_ip=client_ip(request))
    return Message(detail=_("If an unconfirmed account has this address, a new link is on its way."))


@router.post("/auth/session", response_model=UserPrivate, summary="Log in (sets the session cookie)")
def log_in(body: LogIn, request: Request, response: Response, session: SessionDep, _visitor: Public) -> UserPrivate:
    """An account with two-factor authentication also needs `two_factor_code`: without it (or with a wrong one) the
    answer is 401 and no session starts."""
    user = accounts_sessions.authenticate(
        session, login=body.login, password=body.password, client_ip=client_ip(request)
    )
    if user.has_two_factor:
        two_factor.verify_second_factor(session, user=user, code=body.two_factor_code, client_ip=client_ip(request))
    token = accounts_sessions.start_session(
        session, user=user, ip_address=client_ip(request), user_agent=request.headers.get("user-agent", "")
    )
    set_session_cookie(response, token)
    return UserPrivate.model_validate(user)


@router.delete("/auth/session", status_code=status.HTTP_204_NO_CONTENT, summary="Log out")
def log_out(request: Request, session: SessionDep, _user: AccountUser) -> Response:
    token = session_token(request)
    if token:
        accounts_sessions.end_session(session, token=token)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookie(response)
    return response


@router.post("/auth/password-reset", response_model=Message, summary="E-mail a password reset link")
def request_password_reset(body: EmailOnly, request: Request, session: SessionDep, _visitor: Public) -> Message:
    accounts_passwords.request_password_reset(session, email=body.email, client_ip=client_ip(request))
    return Message(detail=_("If an account has this address, a reset link is on its way."))


def _changed_detail(revoked_tokens: int) -> str:
    if not revoked_tokens:
        return _("The password is changed, and every session was logged out.")
    return ngettext(
        "The password is changed, every session was logged out and your %(num)s API token revoked (make new ones "
        "under Settings, API tokens).",
        "The password is changed, every session was logged out and your %(num)s API tokens revoked (make new ones "
        "under Settings, API tokens).",
        revoked_tokens,
    )


@router.post(
    "/auth/password-reset/confirm", response_model=PasswordChanged, summary="Set a new password from a reset link"
)
def reset_password(body: PasswordReset, session: SessionDep, _visitor: Public) -> PasswordChanged:
    """Every session is logged out and every API token revoked."""
    changed = accounts_passwords.reset_password(session, token=body.token, new_password=body.password)
    return PasswordChanged(
        detail=_changed_detail(changed.revoked_tokens),
        revoked_tokens=changed.revoked_tokens,
    )


@router.get("/me", response_model=UserPrivate, summary="The logged-in account")
async def me(account: OwnAccount) -> UserPrivate:
    """Read in the event loop (app.accounts.reads): no worker thread, no ORM session."""
    return UserPrivate.model_validate(account)


@router.patch("/me", response_model=UserPrivate, summary="Edit one's profile")
def update_me(body: ProfileUpdate, session: SessionDep, user: AccountUser) -> UserPrivate:
    accounts_service.update_profile(session, user=user, display_name=body.display_name, bio=body.bio)
    return UserPrivate.model_validate(user)


@router.post("/me/password", response_model=PasswordChanged, summary="Change one's password")
def change_password(body: PasswordChange, session: SessionDep, user: AccountUser) -> PasswordChanged:
    """Every session is logged out (this one too) and every API token revoked (the one making this call too)."""
    changed = accounts_passwords.change_password(
        session, user=user, current_password=body.current_password, new_password=body.password
    )
    return PasswordChanged(
        detail=_changed_detail(changed.revoked_tokens),
        revoked_tokens=changed.revoked_tokens,
    )


@router.get("/me/tokens", response_model=list[ApiTokenPublic], summary="One's personal API tokens")
def list_tokens(session: SessionDep, user: AccountUser) -> list[ApiTokenPublic]:
    return [ApiTokenPublic.model_validate(token) for token in accounts_tokens.list_api_tokens(session, user=user)]


@router.post(
    "/me/tokens",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiTokenCreated,
    summary="Create a personal API token",
)
def create_token(
    body: ApiTokenCreate, request: Request, session: SessionDep, user: AccountUser, sign_in: CurrentSignIn
) -> ApiTokenCreated:
    """Needs a recent sign-in, or `current_password_or_code` (always, when called with an API token): 403
    otherwise."""
    two_factor.confirm_identity(
        session,
        user=user,
        sign_in=sign_in,
        password_or_code=body.current_password_or_code,
        client_ip=client_ip(request),
    )
    token, plain = accounts_tokens.create_api_token(
        session, user=user, name=body.name, scope=body.scope, lifetime_days=body.lifetime_days
    )
    return ApiTokenCreated(**ApiTokenPublic.model_validate(token).model_dump(), token=plain)


@router.delete("/me/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke a token")
def revoke_token(token_id: RowId, session: SessionDep, user: AccountUser) -> Response:
    accounts_tokens.revoke_api_token(session, user=user, token_id=token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me/two-factor", response_model=TwoFactorStatus, summary="One's two-factor authentication")
def two_factor_status(session: SessionDep, user: AccountUser) -> TwoFactorStatus:
    return TwoFactorStatus(
        enabled=user.has_two_factor,
        enabled_at=user.two_factor_enabled_at,
        recovery_codes_left=two_factor.recovery_codes_left(session, user=user),
        required_because=two_factor.two_factor_required_reason(session, user=user),
    )


@router.post(
    "/me/two-factor/setup", response_model=TwoFactorSetupPublic, summary="Start turning on two-factor authentication"
)
def start_two_factor_setup(user: AccountUser) -> TwoFactorSetupPublic:
    """A new secret for an authenticator app. Nothing changes until `POST /me/two-factor` confirms it with a code."""
    setup = two_factor.start_two_factor_setup(user=user)
    return TwoFactorSetupPublic(secret=setup.secret, otpauth_uri=setup.otpauth_uri, setup_token=setup.setup_token)


@router.post(
    "/me/two-factor",
    status_code=status.HTTP_201_CREATED,
    response_model=RecoveryCodes,
    summary="Turn on two-factor authentication",
)
def enable_two_factor(
    body: TwoFactorEnable, request: Request, session: SessionDep, user: AccountUser, sign_in: CurrentSignIn
) -> RecoveryCodes:
    """Needs the code the app shows now (so the app surely has the secret) and a recent sign-in or
    `current_password_or_code`. Answers the ten recovery codes, this once."""
    two_factor.confirm_identity(
        session,
        user=user,
        sign_in=sign_in,
        password_or_code=body.current_password_or_code,
        client_ip=client_ip(request),
    )
    codes = two_factor.enable_two_factor(session, user=user, setup_token=body.setup_token, code=body.code)
    return RecoveryCodes(recovery_codes=codes)


@router.post("/me/two-factor/disable", response_model=Message, summary="Turn off two-factor authentication")
def disable_two_factor(
    body: Reauthentication, request: Request, session: SessionDep, user: AccountUser, sign_in: CurrentSignIn
) -> Message:
    """Needs a recent sign-in or `current_password_or_code`; refused (403) while a brand or the site requires it."""
    two_factor.confirm_identity(
        session,
        user=user,
        sign_in=sign_in,
        password_or_code=body.current_password_or_code,
        client_ip=client_ip(request),
    )
    two_factor.disable_two_factor(session, user=user)
    return Message(detail=_("Two-factor authentication is off; your recovery codes no longer work."))


@router.post(
    "/me/two-factor/recovery-codes", response_model=RecoveryCodes, summary="Make new recovery codes (the old ones die)"
)
def regenerate_recovery_codes(
    body: Reauthentication, request: Request, session: SessionDep, user: AccountUser, sign_in: CurrentSignIn
) -> RecoveryCodes:
    """Needs a recent sign-in or `current_password_or_code`."""
    two_factor.confirm_identity(
        session,
        user=user,
        sign_in=sign_in,
        password_or_code=body.current_password_or_code,
        client_ip=client_ip(request),
    )
    return RecoveryCodes(recovery_codes=two_factor.regenerate_recovery_codes(session, user=user))


@router.get("/users/{handle}", response_model=UserPublic, summary="A member's public profile")
def profile(handle: str, session: SessionDep, _visitor: Public) -> UserPublic:
    return UserPublic.model_validate(accounts_service.get_user_by_handle(session, handle=handle))
