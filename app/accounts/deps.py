"""Who is asking: the session cookie or a bearer token, and the permission check every route declares."""

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request, Response
from itsdangerous import BadSignature, Signer
from sqlmodel import Session

from app.accounts import service as accounts_service
from app.accounts.models import TokenScope, User
from app.accounts.two_factor import SignIn
from app.brands import service as brands_service
from app.config import get_settings
from app.db import SessionDep
from app.errors import Forbidden, NotFound, Unauthorized
from app.permissions import INSIDER_ROLES, Action, Role, can

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_STAFF_ROLES = frozenset({Role.analyst, Role.manager, Role.owner})


class LoginRequired(Unauthorized):
    """Raised where a visitor must log in; HTML requests are sent to the login page."""


class TwoFactorRequired(Forbidden):
    """Raised where a policy requires two-factor sign-in of someone who has not turned it on; HTML requests are sent
    to the enrolment page."""


def _signer() -> Signer:
    return Signer(get_settings().resolved_secret_key, salt="chorus.session")


def signed_session_token(token: str) -> str:
    """The session cookie's value: the token, signed so a forged cookie is refused before any lookup."""
    return _signer().sign(token).decode()


def set_session_cookie(response: Response, token: str) -> None:
    settings = get_settings()
    response.set_cookie(
        settings.session_cookie_name,
        signed_session_token(token),
        max_age=settings.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(get_settings().session_cookie_name)


def session_token(request: Request) -> str | None:
    """The verified token from the session cookie, if any."""
    raw = request.cookies.get(get_settings().session_cookie_name)
    if not raw:
        return None
    try:
        return _signer().unsign(raw).decode()
    except BadSignature:
        return None


def get_current_user(request: Request, session: SessionDep) -> User | None:
    """The logged-in user: a bearer token first (API clients), then the session cookie (browsers)."""
    if hasattr(request.state, "user"):
        return request.state.user
    user = None
    sign_in = SignIn()
    authorization = request.headers.get("Authorization", "")
    if authorization:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() != "bearer" or not credentials:
            raise Unauthorized("Use 'Authorization: Bearer <token>' with a personal API token.")
        found = accounts_service.api_token_for(session, plain=credentials.strip())
        if found is None:
            raise Unauthorized("This API token is not valid: it has expired or been revoked.")
        user = found.user
        if found.scope == TokenScope.read and request.method not in SAFE_METHODS:
            raise Forbidden(
                f"This API token is read-only: it cannot {request.method}. Make a read-write token at /settings/tokens."
            )
    else:
        token = session_token(request)
        found_session = accounts_service.session_for_token(session, token=token) if token else None
        if found_session is not None:
            user, user_session = found_session
            sign_in = SignIn(user_session_id=user_session.id, authenticated_at=user_session.authenticated_at)
    request.state.user = user
    request.state.sign_in = sign_in
    return user


CurrentUser = Annotated[User | None, Depends(get_current_user)]


def current_sign_in(request: Request, _user: CurrentUser) -> SignIn:
    """How this request is signed in (for re-authentication before sensitive changes)."""
    return getattr(request.state, "sign_in", SignIn())


CurrentSignIn = Annotated[SignIn, Depends(current_sign_in)]


def base_roles(user: User | None) -> set[Role]:
    """The roles anyone has regardless of brand or community."""
    roles = {Role.visitor}
    if user is not None:
        roles.add(Role.user)
        if user.is_site_admin:
            roles.add(Role.site_admin)
    return roles


def check(
    action: Action,
    roles: frozenset[Role],
    user: User | None,
    *,
    hidden_message: str,
    session: Session | None = None,
    brand_id: int | None = None,
) -> None:
    """Allow, or refuse: log in first, 403 for insiders lacking the role, 404 for everyone else; and 403 (enrolment,
    for pages) where only an admin or staff role allows the action and a policy requires two-factor of it."""
    if can(roles, action):
        _require_two_factor(action, roles, user, session=session, brand_id=brand_id)
        return
    if user is None:
        raise LoginRequired("Log in to continue.")
    if roles & INSIDER_ROLES:
        raise Forbidden("Your role does not allow this.")
    raise NotFound(hidden_message)


def _require_two_factor(
    action: Action, roles: frozenset[Role], user: User | None, *, session: Session | None, brand_id: int | None
) -> None:
    """Admins (by the site's setting) and a brand's staff (by the brand's) must use two-factor for what only that
    role allows them; what they may do as anyone else (their own account, public pages) stays open, so they can
    reach the enrolment page."""
    if user is None or user.has_two_factor:
        return
    if (
        Role.site_admin in roles
        and get_settings().resolved_require_admin_two_factor
        and not can(roles - {Role.site_admin}, action)
    ):
        raise TwoFactorRequired(
            "Site administrators must sign in with two-factor authentication: turn it on at /settings/two-factor."
        )
    if (
        roles & _STAFF_ROLES
        and not can(roles - _STAFF_ROLES, action)
        and session is not None
        and brand_id is not None
        and brands_service.brand_requires_staff_two_factor(session, brand_id=brand_id)
    ):
        raise TwoFactorRequired(
            "This brand requires two-factor authentication of its staff: turn it on at /settings/two-factor."
        )


class PermissionCheck:
    """Base of every route's permission dependency; ``action`` names the row of the permission table it enforces."""

    action: Action


class Permit(PermissionCheck):
    """A permission that depends on no brand or community (public pages, one's own account, site admin)."""

    def __init__(self, action: Action) -> None:
        self.action = action

    def __call__(self, user: CurrentUser) -> User | None:
        check(self.action, frozenset(base_roles(user)), user, hidden_message="Page not found.")
        return user


def _logged_in(action: Action) -> Callable[..., User]:
    """A dependency for an action that needs someone logged in and no brand or community role."""

    def require(user: User | None = Depends(Permit(action))) -> User:
        assert user is not None  # Permit raised LoginRequired otherwise
        return user

    return require


# The logged-in user, for routes about one's own account.
AccountUser = Annotated[User, Depends(_logged_in(Action.manage_own_account))]
# Someone logged in, accepting an invite link (the invite itself is checked by the service).
InvitedUser = Annotated[User, Depends(_logged_in(Action.join_by_invite))]
# For site administration.
SiteAdmin = Annotated[User, Depends(Permit(Action.administer_site))]
# A public route, marked so the route table shows it was meant to be public.
Public = Annotated[User | None, Depends(Permit(Action.view_public))]
