"""Who is asking: the session cookie or a bearer token, and the permission check every route declares."""

from collections.abc import Callable
from typing import Annotated, Protocol

from fastapi import Depends, Request, Response
from itsdangerous import BadSignature, Signer
from sqlmodel import Session

from app.accounts import lookups as accounts_lookups
from app.accounts.models import TokenScope, User
from app.accounts.two_factor import SignIn
from app.brands import service as brands_service
from app.config import get_settings
from app.db import SessionDep
from app.errors import Forbidden, NotFound, Unauthorized
from app.i18n import N_, _, gettext
from app.i18n.context import note_person
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
        found = accounts_lookups.api_token_for(session, plain=bearer_credentials(authorization))
        if found is None:
            raise invalid_token()
        user = found.user
        check_token_scope(found.scope, request.method)
    else:
        token = session_token(request)
        found_session = accounts_lookups.session_for_token(session, token=token) if token else None
        if found_session is not None:
            user, user_session = found_session
            sign_in = SignIn(user_session_id=user_session.id, authenticated_at=user_session.authenticated_at)
    if user is not None:
        note_person(user.locale, user.time_zone)
    request.state.user = user
    request.state.sign_in = sign_in
    return user


def bearer_credentials(authorization: str) -> str:
    """The token of an ``Authorization`` header; any scheme but ``Bearer`` is refused."""
    scheme, _separator, credentials = authorization.partition(" ")
    if scheme.lower() != "bearer" or not credentials:
        raise Unauthorized(gettext("Use 'Authorization: Bearer <token>' with a personal API token."))
    return credentials.strip()


def invalid_token() -> Unauthorized:
    return Unauthorized(gettext("This API token is not valid: it has expired or been revoked."))


def check_token_scope(scope: TokenScope, method: str) -> None:
    """A read-only token may only read."""
    if scope == TokenScope.read and method not in SAFE_METHODS:
        raise Forbidden(
            gettext(
                "This API token is read-only: it cannot %(method)s. Make a read-write token at /settings/tokens.",
                method=method,
            )
        )


CurrentUser = Annotated[User | None, Depends(get_current_user)]


class Actor(Protocol):
    """What the permission checks read of the person asking: a ``User``, or an account read without the ORM
    (``app.accounts.reads.Account``)."""

    @property
    def is_site_admin(self) -> bool: ...

    @property
    def has_two_factor(self) -> bool: ...


def current_sign_in(request: Request, _user: CurrentUser) -> SignIn:
    """How this request is signed in (for re-authentication before sensitive changes)."""
    return getattr(request.state, "sign_in", SignIn())


CurrentSignIn = Annotated[SignIn, Depends(current_sign_in)]


def base_roles(user: Actor | None) -> set[Role]:
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
    user: Actor | None,
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
        raise LoginRequired(_("Log in to continue."))
    if roles & INSIDER_ROLES:
        raise Forbidden(_("Your role does not allow this."))
    raise NotFound(_(hidden_message))


def _require_two_factor(
    action: Action, roles: frozenset[Role], user: Actor | None, *, session: Session | None, brand_id: int | None
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
            _("Site administrators must sign in with two-factor authentication: turn it on at /settings/two-factor.")
        )
    if (
        roles & _STAFF_ROLES
        and not can(roles - _STAFF_ROLES, action)
        and session is not None
        and brand_id is not None
        and brands_service.brand_requires_staff_two_factor(session, brand_id=brand_id)
    ):
        raise TwoFactorRequired(
            _("This brand requires two-factor authentication of its staff: turn it on at /settings/two-factor.")
        )


class PermissionCheck:
    """Base of every route's permission dependency; ``action`` names the row of the permission table it enforces."""

    action: Action


class Permit(PermissionCheck):
    """A permission that depends on no brand or community (public pages, one's own account, site admin)."""

    def __init__(self, action: Action) -> None:
        self.action = action

    def __call__(self, user: CurrentUser) -> User | None:
        check(self.action, frozenset(base_roles(user)), user, hidden_message=N_("Page not found."))
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


class Unidentified(PermissionCheck):
    """A public action checked without asking who is asking: for a route that shows nothing of anyone (the
    liveness probe), so it reads no cookie or token, opens no session and takes no worker thread."""

    def __init__(self, action: Action) -> None:
        if not can(frozenset({Role.visitor}), action):
            raise ValueError(f"{action} is not open to visitors: the caller must be identified")
        self.action = action

    async def __call__(self) -> None:
        return None


# A route open to anyone whose answer is the same for everyone (``/healthz``).
Anyone = Annotated[None, Depends(Unidentified(Action.view_public))]
