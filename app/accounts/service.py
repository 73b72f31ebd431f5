"""Accounts: sign-up, e-mail confirmation, logging in and out, password reset, profile and API tokens."""

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import NamedTuple, cast
from urllib.parse import quote

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pwdlib import PasswordHash
from sqlalchemy import CursorResult, Table, Update, bindparam
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, delete, or_, select, update
from zxcvbn import zxcvbn

from app import rate_limits
from app.accounts.models import ApiToken, TokenScope, User, UserSession
from app.columns import UTCDateTime, id_of, utcnow
from app.config import get_settings
from app.errors import Conflict, Invalid, NotFound, Unauthorized
from app.moderation import fingerprints
from app.notifications import service as notifications_service
from app.rewards import referrals as rewards_referrals

password_hasher = PasswordHash.recommended()
# Verified against when the login names no account, so both answers take the same time.
_DUMMY_HASH = password_hasher.hash("chorus-timing-equaliser")

HANDLE_PATTERN = re.compile(r"^[a-z0-9_]{3,30}$")
RESERVED_HANDLES = frozenset(
    {
        "admin",
        "api",
        "static",
        "media",
        "login",
        "logout",
        "signup",
        "settings",
        "staff",
        "brands",
        "root",
        "chorus",
    }
)
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SESSION_TOUCH_INTERVAL = timedelta(hours=1)


def slugify_handle(text: str) -> str:
    """A handle-shaped version of a name or e-mail local part: ASCII lower-case, digits and underscores."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    handle = re.sub(r"[^a-z0-9_]+", "_", ascii_text).strip("_")[:24]
    return handle if len(handle) >= 3 else f"{handle}_member".lstrip("_")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().resolved_secret_key, salt=f"chorus.{purpose}")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password_strength(password: str, *, user_inputs: Sequence[str] = ()) -> str | None:
    """Why a password is too weak, or None when it is fine."""
    settings = get_settings()
    if len(password) < settings.password_min_length:
        return f"Use at least {settings.password_min_length} characters."
    if len(password) > 256:
        return "Use at most 256 characters."
    # zxcvbn refuses (ValueError) more than 72 characters; a password that long is judged on its first 72.
    result = zxcvbn(password[:72], user_inputs=[value for value in user_inputs if value])
    if result["score"] < settings.password_min_strength:
        warning = result["feedback"].get("warning") or "This password would be easy to guess."
        suggestions = " ".join(result["feedback"].get("suggestions") or [])
        return f"{warning} {suggestions}".strip()
    return None


def _validate_sign_up(email: str, handle: str, password: str, display_name: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not email:
        errors["email"] = "Enter your e-mail address."
    elif len(email) > 254 or not EMAIL_PATTERN.match(email):
        errors["email"] = "Enter an e-mail address like name@example.com."
    if not handle:
        errors["handle"] = "Choose a handle."
    elif not HANDLE_PATTERN.match(handle):
        errors["handle"] = "Use 3 to 30 lower-case letters, digits or underscores."
    elif handle in RESERVED_HANDLES:
        errors["handle"] = "That handle is reserved; choose another."
    if len(display_name) > 80:
        errors["display_name"] = "Use at most 80 characters."
    if not password:
        errors["password"] = "Choose a password."  # noqa: S105 (a message, not a password)
    else:
        weakness = check_password_strength(password, user_inputs=[email, handle, display_name])
        if weakness:
            errors["password"] = weakness
    return errors


def _taken(session: Session, *, email: str, handle: str, errors: dict[str, str]) -> dict[str, str]:
    """Messages for a well-formed e-mail address or handle that another account has."""
    taken: dict[str, str] = {}
    for user in session.exec(select(User).where(or_(User.email == email, User.handle == handle))).all():
        if user.email == email and "email" not in errors:
            taken["email"] = "An account with this e-mail address exists already. Log in or reset the password."
        if user.handle == handle and "handle" not in errors:
            taken["handle"] = "That handle is taken; choose another."
    return taken


def sign_up(
    session: Session,
    *,
    email: str,
    handle: str,
    password: str,
    display_name: str = "",
    client_ip: str,
    referral_code: str = "",
    next_path: str = "/",
    community_id: int | None = None,
    share_code: str = "",
) -> User:
    """Create an unconfirmed account and e-mail its confirmation link (which leads on to ``next_path``, a local
    path, once it has signed the member in); credit the referral link it came through.

    ``community_id`` (and the campaign ``share_code``) name the community the sign-up came for, through a referral
    or share link: the link carries them, signed, so confirming lands the member there (``app.communities.arrivals``).
    """
    settings = get_settings()
    rate_limits.hit(settings.signup_rate_per_ip, "signup-ip", client_ip, message="Too many sign-ups from here.")
    email = normalise_email(email)
    handle = handle.strip().lower()
    display_name = display_name.strip() or handle
    errors = _validate_sign_up(email, handle, password, display_name)
    errors.update(_taken(session, email=email, handle=handle, errors=errors))
    if errors:
        raise Invalid("Please correct the marked fields.", fields=errors)
    user = User(email=email, handle=handle, display_name=display_name, password_hash=password_hasher.hash(password))
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError as error:  # a concurrent sign-up took the e-mail or handle between check and insert
        raise Conflict("That e-mail address or handle was just taken; try another.") from error
    send_confirmation(session, user=user, next_path=next_path, community_id=community_id, share_code=share_code)
    if referral_code:
        rewards_referrals.attribute_signup(session, user=user, code=referral_code)
    return user


def send_confirmation(
    session: Session, *, user: User, next_path: str = "/", community_id: int | None = None, share_code: str = ""
) -> None:
    """Queue the e-mail with the confirmation link (leading on to ``next_path`` when it is not the home page, and
    carrying the community the sign-up came for, if any)."""
    settings = get_settings()
    payload: dict[str, object] = {"user_id": user.id, "email": user.email}
    if community_id is not None:
        payload["community_id"] = community_id
        if share_code:
            payload["share_code"] = share_code
    token = _serializer("confirm").dumps(payload)
    onward = f"?next={quote(next_path)}" if next_path != "/" else ""
    notifications_service.queue_email(
        session,
        to_address=user.email,
        subject=f"Confirm your e-mail address for {settings.site_name}",
        body_text=(
            f"Hello {user.display_name},\n\n"
            f"Confirm your e-mail address to finish signing up:\n{settings.base_url}/confirm/{token}{onward}\n\n"
            f"The link works for {settings.confirm_email_hours} hours. "
            "If you did not sign up, ignore this e-mail."
        ),
    )


def resend_confirmation(session: Session, *, email: str, client_ip: str) -> None:
    """Send a fresh confirmation link if an unconfirmed account has this address; say nothing either way."""
    settings = get_settings()
    rate_limits.hit(settings.reset_rate_per_ip, "confirm-ip", client_ip, message="Too many requests from here.")
    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    if user is not None and not user.is_confirmed:
        rate_limits.hit(settings.reset_rate_per_account, "confirm-account", user.email, message="Too many requests.")
        send_confirmation(session, user=user)


@dataclass(frozen=True)
class Confirmation:
    user: User
    # Whether this use of the link confirmed the address (False when it was confirmed already).
    first_time: bool
    # The new session's token when this use of the link confirmed the address and signed the member in.
    session_token: str | None = None
    # The community the sign-up came for (a referral or share link), and the share link, from the signed token.
    community_id: int | None = None
    share_code: str = ""


def confirm_email(session: Session, *, token: str) -> Confirmation:
    """Mark the address in the signed token as confirmed."""
    return _confirm(session, token=token)


def confirm_email_and_sign_in(
    session: Session, *, token: str, ip_address: str = "", user_agent: str = ""
) -> Confirmation:
    """Confirm the address in the signed token and sign its member in, as logging in does, the first time only: a
    link used again (or forwarded) confirms nothing new and signs nobody in, so it is no lasting login key."""
    confirmation = _confirm(session, token=token)
    user = confirmation.user
    if not confirmation.first_time or not user.is_active:
        return confirmation
    token_for_cookie = start_session(session, user=user, ip_address=ip_address, user_agent=user_agent)
    return replace(confirmation, session_token=token_for_cookie)


def _confirm(session: Session, *, token: str) -> Confirmation:
    """The token's user and what the token carries; whether this call confirmed their address."""
    try:
        payload = _serializer("confirm").loads(token, max_age=get_settings().confirm_email_hours * 3600)
    except SignatureExpired as error:
        raise Invalid("This confirmation link has expired. Log in to get a new one.") from error
    except BadSignature as error:
        raise Invalid("This confirmation link is not valid. Copy the whole link from the e-mail.") from error
    user = session.get(User, payload.get("user_id"))
    if user is None or user.email != payload.get("email"):
        raise Invalid("This confirmation link is not valid any more.")
    if user.email_confirmed_at is not None:
        return Confirmation(user=user, first_time=False)
    user.email_confirmed_at = utcnow()
    session.add(user)
    session.flush()
    community_id = payload.get("community_id")
    return Confirmation(
        user=user,
        first_time=True,
        community_id=community_id if isinstance(community_id, int) else None,
        share_code=str(payload.get("share_code") or ""),
    )


def authenticate(session: Session, *, login: str, password: str, client_ip: str) -> User:
    """Check a login (e-mail or handle) and password; rate-limited per IP and per account."""
    settings = get_settings()
    login = login.strip().lower()
    if not login or not password:
        raise Invalid("Enter your e-mail address or handle, and your password.")
    rate_limits.hit(settings.login_rate_per_ip, "login-ip", client_ip, message="Too many login attempts from here.")
    rate_limits.hit(
        settings.login_rate_per_account,
        "login-account",
        login,
        message="Too many login attempts for this account.",
    )
    user = session.exec(select(User).where(or_(User.email == login, User.handle == login))).first()
    if user is None:
        password_hasher.verify(password, _DUMMY_HASH)
        raise Unauthorized("That e-mail address or handle and password do not match.")
    valid, updated_hash = password_hasher.verify_and_update(password, user.password_hash)
    if not valid:
        raise Unauthorized("That e-mail address or handle and password do not match.")
    if not user.is_active:
        raise Unauthorized("This account is closed.")
    if not user.is_confirmed:
        raise Unauthorized("Confirm your e-mail address first: we sent you a link. You can ask for a new one below.")
    if updated_hash:
        user.password_hash = updated_hash
        session.add(user)
    return user


def start_session(session: Session, *, user: User, ip_address: str = "", user_agent: str = "") -> str:
    """Record a login and return the random token for the cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        UserSession(
            token_hash=hash_token(token),
            user_id=id_of(user),
            created_at=now,
            last_seen_at=now,
            authenticated_at=now,
            expires_at=now + timedelta(days=get_settings().session_days),
            network=fingerprints.network_of(ip_address)[:45],
            address_hash=fingerprints.address_hash(ip_address),
            user_agent=user_agent[:255],
        )
    )
    session.flush()
    fingerprints.record_fingerprint(session, user_id=id_of(user), ip_address=ip_address, user_agent=user_agent)
    return token


def user_for_session_token(session: Session, *, token: str) -> User | None:
    """The active user behind a session token, or None when it is unknown, expired or revoked."""
    found = session_for_token(session, token=token)
    return found[0] if found is not None else None


def session_for_token(session: Session, *, token: str) -> tuple[User, UserSession] | None:
    """The active user behind a session token and the session itself, or None when it is unknown, expired or
    revoked: one query for both."""
    now = utcnow()
    found = session.execute(_SESSION_HOLDER, {"token_hash": hash_token(token), "now": now}).first()
    if found is None:
        return None
    user, row = found
    if now - row.last_seen_at > SESSION_TOUCH_INTERVAL:
        _touch(session, _TOUCH_SESSION, {"row_id": row.id, "now": now, "stale_before": now - SESSION_TOUCH_INTERVAL})
    return user, row


def _touch(session: Session, statement: Update, parameters: dict[str, object]) -> None:
    """Record "last seen" on a best-effort basis: on a read-only request SQLite may refuse the write lock at once
    (another writer holds it), and a stale timestamp is better than a failed page."""
    try:
        with session.begin_nested():
            session.execute(statement, parameters)
    except OperationalError:
        pass


def _touch_statement(table: Table, column: str) -> Update:
    """``UPDATE table SET column = :now`` for row ``:row_id`` only while its ``column`` is before ``:stale_before``.

    The row is picked by a subquery that skips it when locked (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has
    no row locks and serialises writers): of the requests arriving together on one token, the first writes and the
    others neither write nor queue behind its row lock until its request commits; the condition makes the write
    happen at most once per interval even across processes.
    """
    latest = table.alias("latest")
    stale = (
        sa_select(latest.c.id)
        .where(
            latest.c.id == bindparam("row_id"),
            (latest.c[column].is_(None)) | (latest.c[column] < bindparam("stale_before", type_=UTCDateTime)),
        )
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    return sa_update(table).where(table.c.id == stale).values({column: bindparam("now", type_=UTCDateTime)})


_USER_SESSIONS = cast(Table, UserSession.__table__)  # type: ignore[attr-defined]
_API_TOKENS = cast(Table, ApiToken.__table__)  # type: ignore[attr-defined]
# The request path's lookups, built once with bound parameters (``token_hash``, ``now``): the token and its active
# user in one query, and the conditional "last seen" writes.
_SESSION_HOLDER = (
    select(User, UserSession)
    .join(UserSession, col(UserSession.user_id) == User.id)
    .where(
        col(UserSession.token_hash) == bindparam("token_hash"),
        col(UserSession.expires_at) > bindparam("now", type_=UTCDateTime),
        col(User.is_active),
    )
)
_TOUCH_SESSION = _touch_statement(_USER_SESSIONS, "last_seen_at")


def end_session(session: Session, *, token: str) -> None:
    """Log out: the session row goes, so the cookie is worthless even if kept."""
    session.execute(delete(UserSession).where(col(UserSession.token_hash) == hash_token(token)))


def end_all_sessions(session: Session, *, user: User) -> None:
    session.execute(delete(UserSession).where(col(UserSession.user_id) == user.id))


def request_password_reset(session: Session, *, email: str, client_ip: str) -> None:
    """E-mail a reset link if the address has an account; the answer is the same either way."""
    settings = get_settings()
    rate_limits.hit(settings.reset_rate_per_ip, "reset-ip", client_ip, message="Too many reset requests from here.")
    email = normalise_email(email)
    if not email:
        raise Invalid("Enter your e-mail address.", fields={"email": "Enter your e-mail address."})
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None or not user.is_active:
        return
    rate_limits.hit(
        settings.reset_rate_per_account,
        "reset-account",
        email,
        message="Too many reset requests for this account.",
    )
    notifications_service.queue_email(
        session,
        to_address=user.email,
        subject=f"Reset your {settings.site_name} password",
        body_text=(
            f"Hello {user.display_name},\n\n"
            f"Choose a new password here:\n{_reset_link(user)}\n\n"
            f"The link works once, for {settings.password_reset_minutes} minutes. "
            "If you did not ask for it, ignore this e-mail: your password stays as it is."
        ),
    )


def _reset_link(user: User) -> str:
    token = _serializer("reset").dumps({"user_id": user.id, "stamp": password_stamp(user)})
    return f"{get_settings().base_url}/reset/{token}"


def invite_user(session: Session, *, email: str, display_name: str = "", reason: str) -> User:
    """Create an account for someone staff added by e-mail; they choose their password through a reset link."""
    settings = get_settings()
    email = normalise_email(email)
    base = slugify_handle(email.split("@")[0])
    handle, suffix = base, 1
    while handle in RESERVED_HANDLES or session.exec(select(User).where(User.handle == handle)).first():
        suffix += 1
        handle = f"{base}{suffix}"
    user = User(
        email=email,
        handle=handle,
        display_name=display_name.strip()[:80] or handle,
        password_hash=password_hasher.hash(secrets.token_urlsafe(32)),
    )
    session.add(user)
    session.flush()
    notifications_service.queue_email(
        session,
        to_address=email,
        subject=f"You are invited to {settings.site_name}",
        body_text=(
            f"Hello {user.display_name},\n\n{reason}\n\n"
            f"Choose your password to log in (your handle is {handle}):\n{_reset_link(user)}\n\n"
            f"The link works once, for {settings.password_reset_minutes} minutes; after that, use "
            f"'Forgot your password?' on {settings.base_url}/login."
        ),
    )
    return user


def password_stamp(user: User) -> str:
    """Changes whenever the password does, so a reset link works only once."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def user_for_reset_token(session: Session, *, token: str) -> User:
    """The user a reset link is for; Invalid when it is expired, used or forged."""
    try:
        payload = _serializer("reset").loads(token, max_age=get_settings().password_reset_minutes * 60)
    except SignatureExpired as error:
        raise Invalid("This reset link has expired. Ask for a new one.") from error
    except BadSignature as error:
        raise Invalid("This reset link is not valid. Copy the whole link from the e-mail.") from error
    user = session.get(User, payload.get("user_id"))
    if user is None or payload.get("stamp") != password_stamp(user):
        raise Invalid("This reset link has been used already. Ask for a new one.")
    return user


@dataclass(frozen=True)
class PasswordChanged:
    user: User
    revoked_tokens: int

    @property
    def tokens_clause(self) -> str:
        """ " and your 2 API tokens revoked (...)", or nothing when there were none, to end a sentence about it."""
        if not self.revoked_tokens:
            return ""
        plural = "s" if self.revoked_tokens != 1 else ""
        return f" and your {self.revoked_tokens} API token{plural} revoked (make new ones under Settings, API tokens)"


def reset_password(session: Session, *, token: str, new_password: str) -> PasswordChanged:
    """Set a new password from a reset link; every existing login is ended and every API token revoked."""
    user = user_for_reset_token(session, token=token)
    changed = _set_password(session, user=user, new_password=new_password, how="reset")
    # Following the link proves the address, so an unconfirmed account becomes confirmed.
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    return changed


def change_password(session: Session, *, user: User, current_password: str, new_password: str) -> PasswordChanged:
    """Change the password of a logged-in user, who must know the current one; every login is ended and every API
    token revoked."""
    if not password_hasher.verify(current_password, user.password_hash):
        raise Invalid("Please correct the marked fields.", fields={"current_password": "This is not your password."})
    return _set_password(session, user=user, new_password=new_password, how="changed")


def _set_password(session: Session, *, user: User, new_password: str, how: str) -> PasswordChanged:
    """Whoever had the old password (or a session or token from it) is shut out: a stolen API token must not
    outlive the owner's recovery of the account."""
    weakness = check_password_strength(new_password, user_inputs=[user.email, user.handle, user.display_name])
    if weakness:
        raise Invalid("Please correct the marked fields.", fields={"password": weakness})
    now = utcnow()
    user.password_hash = password_hasher.hash(new_password)
    user.password_changed_at = now
    session.add(user)
    end_all_sessions(session, user=user)
    revoked = revoke_all_api_tokens(session, user=user, now=now)
    settings = get_settings()
    notifications_service.queue_email(
        session,
        to_address=user.email,
        subject=f"Your {settings.site_name} password was {how}",
        body_text=(
            f"Hello {user.display_name},\n\n"
            f"Your password was {how}. Every session was logged out"
            + (f" and your {revoked} API token{'s were' if revoked != 1 else ' was'} revoked" if revoked else "")
            + f". Log in again at {settings.base_url}/login"
            + (f" and make new tokens at {settings.base_url}/settings/tokens" if revoked else "")
            + ".\n\nIf you did not do this, reset your password at once: "
            f"{settings.base_url}/reset"
        ),
    )
    session.flush()
    return PasswordChanged(user=user, revoked_tokens=revoked)


def update_profile(session: Session, *, user: User, display_name: str, bio: str) -> User:
    """Change the name and bio shown on the member's profile."""
    display_name = display_name.strip()
    errors = {}
    if not display_name:
        errors["display_name"] = "Enter the name to show."
    elif len(display_name) > 80:
        errors["display_name"] = "Use at most 80 characters."
    if len(bio) > 2000:
        errors["bio"] = "Use at most 2,000 characters."
    if errors:
        raise Invalid("Please correct the marked fields.", fields=errors)
    user.display_name = display_name
    user.bio = bio.strip()
    session.add(user)
    session.flush()
    return user


def get_user_by_handle(session: Session, *, handle: str) -> User:
    user = session.exec(select(User).where(User.handle == handle.lower())).first()
    if user is None or not user.is_active:
        raise NotFound("There is no member with that handle.")
    return user


def create_user(
    session: Session,
    *,
    email: str,
    handle: str,
    password: str,
    display_name: str = "",
    is_site_admin: bool = False,
    password_hash: str | None = None,
) -> User:
    """Create a confirmed account directly (admin tools, seed): the same checks as sign-up, no e-mail round trip.

    ``password_hash`` lets bulk creators (the demo seed, test factories) hash one password once and reuse it.
    """
    email = normalise_email(email)
    handle = handle.strip().lower()
    display_name = display_name.strip() or handle
    errors = _validate_sign_up(email, handle, password, display_name)
    errors.update(_taken(session, email=email, handle=handle, errors=errors))
    if errors:
        raise Invalid("Please correct the marked fields.", fields=errors)
    user = User(
        email=email,
        handle=handle,
        display_name=display_name,
        password_hash=password_hash or password_hasher.hash(password),
        is_site_admin=is_site_admin,
        email_confirmed_at=utcnow(),
    )
    session.add(user)
    session.flush()
    return user


def find_user_by_email(session: Session, *, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


API_TOKEN_PREFIX = "chorus_"  # noqa: S105 (a public prefix)
# How long a new token may live, in days: the choices offered, and the default.
TOKEN_LIFETIME_DAYS = (7, 30, 90, 365)
DEFAULT_TOKEN_LIFETIME_DAYS = 90
# "Last used" is written at most this often per token, so a busy script costs no write per request.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


def create_api_token(
    session: Session,
    *,
    user: User,
    name: str,
    scope: TokenScope = TokenScope.read_write,
    lifetime_days: int = DEFAULT_TOKEN_LIFETIME_DAYS,
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a personal API token; the plain token is returned once and never stored."""
    name = name.strip()
    if not name or len(name) > 80:
        raise Invalid(
            "Name the token (1 to 80 characters), e.g. the script that will use it.",
            fields={"name": "Name the token."},
        )
    if lifetime_days not in TOKEN_LIFETIME_DAYS:
        choices = ", ".join(map(str, TOKEN_LIFETIME_DAYS))
        raise Invalid(f"A token lives {choices} days.", fields={"lifetime_days": f"Choose {choices} days."})
    now = now or utcnow()
    plain = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=id_of(user),
        name=name,
        token_hash=hash_token(plain),
        prefix=plain[:12],
        scope=scope,
        created_at=now,
        expires_at=now + timedelta(days=lifetime_days),
    )
    session.add(token)
    session.flush()
    return token, plain


def list_api_tokens(session: Session, *, user: User) -> Sequence[ApiToken]:
    """The user's tokens not revoked, newest first (expired ones too, marked so on the page)."""
    return session.exec(
        select(ApiToken)
        .where(ApiToken.user_id == user.id, col(ApiToken.revoked_at).is_(None))
        .order_by(col(ApiToken.id).desc())
    ).all()


def revoke_api_token(session: Session, *, user: User, token_id: int) -> None:
    """Revoke one of the user's own tokens; someone else's is NotFound."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFound("There is no such token.")
    token.revoked_at = utcnow()
    session.add(token)
    session.flush()


def revoke_all_api_tokens(session: Session, *, user: User, now: datetime | None = None) -> int:
    """Revoke every token of the user; how many were live."""
    result = session.execute(
        update(ApiToken)
        .where(col(ApiToken.user_id) == user.id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=now or utcnow())
    )
    return result.rowcount if isinstance(result, CursorResult) else 0


class TokenHolder(NamedTuple):
    """Who a bearer token speaks for, and what it may do."""

    user: User
    scope: TokenScope


_TOKEN_HOLDER = (
    select(User, col(ApiToken.id), col(ApiToken.scope), col(ApiToken.last_used_at))
    .join(ApiToken, col(ApiToken.user_id) == User.id)
    .where(
        col(ApiToken.token_hash) == bindparam("token_hash"),
        col(ApiToken.revoked_at).is_(None),
        col(ApiToken.expires_at) > bindparam("now", type_=UTCDateTime),
        col(User.is_active),
    )
)
_TOUCH_API_TOKEN = _touch_statement(_API_TOKENS, "last_used_at")


def api_token_for(session: Session, *, plain: str) -> TokenHolder | None:
    """The active user behind a bearer token, and the token's scope, or None when it is unknown, revoked or expired:
    one query; "last used" is written at most once a minute (TOKEN_TOUCH_INTERVAL), not on every request."""
    now = utcnow()
    found = session.execute(_TOKEN_HOLDER, {"token_hash": hash_token(plain), "now": now}).first()
    if found is None:
        return None
    user, token_id, scope, last_used_at = found
    if last_used_at is None or now - last_used_at >= TOKEN_TOUCH_INTERVAL:
        stale_before = now - TOKEN_TOUCH_INTERVAL + timedelta(microseconds=1)
        _touch(session, _TOUCH_API_TOKEN, {"row_id": token_id, "now": now, "stale_before": stale_before})
    return TokenHolder(user=user, scope=TokenScope(scope))
