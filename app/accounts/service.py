"""Accounts: the member records and their rules (handles, e-mail addresses, password strength), creating and
finding accounts, and the profile.

The other use cases live beside this module: ``signup`` (sign-up and e-mail confirmation), ``sessions`` (logging in
and out), ``lookups`` (the session or API token behind a request), ``tokens`` (API tokens) and ``passwords`` (reset
links, changing a password, accounts staff invite by e-mail).
"""

import hashlib
import re
import unicodedata
from collections.abc import Sequence

from itsdangerous import URLSafeTimedSerializer
from pwdlib import PasswordHash
from sqlmodel import Session, or_, select
from zxcvbn import zxcvbn

from app.accounts.models import User
from app.columns import utcnow
from app.config import get_settings
from app.errors import Invalid, NotFound
from app.i18n import _
from app.i18n.formatting import format_number

password_hasher = PasswordHash.recommended()


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


def slugify_handle(text: str) -> str:
    """A handle-shaped version of a name or e-mail local part: ASCII lower-case, digits and underscores."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    handle = re.sub(r"[^a-z0-9_]+", "_", ascii_text).strip("_")[:24]
    return handle if len(handle) >= 3 else f"{handle}_member".lstrip("_")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().resolved_secret_key, salt=f"chorus.{purpose}")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password_strength(password: str, *, user_inputs: Sequence[str] = ()) -> str | None:
    """Why a password is too weak, or None when it is fine."""
    settings = get_settings()
    if len(password) < settings.password_min_length:
        return _("Use at least %(count)s characters.", count=settings.password_min_length)
    if len(password) > 256:
        return _("Use at most %(count)s characters.", count=256)
    # zxcvbn refuses (ValueError) more than 72 characters; a password that long is judged on its first 72.
    result = zxcvbn(password[:72], user_inputs=[value for value in user_inputs if value])
    if result["score"] < settings.password_min_strength:
        # zxcvbn's feedback is English: each text is in the catalogues (app/accounts/password_feedback.py).
        warning = result["feedback"].get("warning")
        suggestions = [_(suggestion) for suggestion in result["feedback"].get("suggestions") or []]
        return " ".join([_(warning) if warning else _("This password would be easy to guess."), *suggestions])
    return None


def validate_sign_up(email: str, handle: str, password: str, display_name: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not email:
        errors["email"] = _("Enter your e-mail address.")
    elif len(email) > 254 or not EMAIL_PATTERN.match(email):
        errors["email"] = _("Enter an e-mail address like name@example.com.")
    if not handle:
        errors["handle"] = _("Choose a handle.")
    elif not HANDLE_PATTERN.match(handle):
        errors["handle"] = _("Use 3 to 30 lower-case letters, digits or underscores.")
    elif handle in RESERVED_HANDLES:
        errors["handle"] = _("That handle is reserved; choose another.")
    if len(display_name) > 80:
        errors["display_name"] = _("Use at most %(count)s characters.", count=80)
    if not password:
        errors["password"] = _("Choose a password.")
    else:
        weakness = check_password_strength(password, user_inputs=[email, handle, display_name])
        if weakness:
            errors["password"] = weakness
    return errors


def taken_fields(session: Session, *, email: str, handle: str, errors: dict[str, str]) -> dict[str, str]:
    """Messages for a well-formed e-mail address or handle that another account has."""
    taken: dict[str, str] = {}
    for user in session.exec(select(User).where(or_(User.email == email, User.handle == handle))).all():
        if user.email == email and "email" not in errors:
            taken["email"] = _("An account with this e-mail address exists already. Log in or reset the password.")
        if user.handle == handle and "handle" not in errors:
            taken["handle"] = _("That handle is taken; choose another.")
    return taken


def update_profile(session: Session, *, user: User, display_name: str, bio: str) -> User:
    """Change the name and bio shown on the member's profile."""
    display_name = display_name.strip()
    errors = {}
    if not display_name:
        errors["display_name"] = _("Enter the name to show.")
    elif len(display_name) > 80:
        errors["display_name"] = _("Use at most %(count)s characters.", count=80)
    if len(bio) > 2000:
        errors["bio"] = _("Use at most %(count)s characters.", count=format_number(2000))
    if errors:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
    user.display_name = display_name
    user.bio = bio.strip()
    session.add(user)
    session.flush()
    return user


def get_user_by_handle(session: Session, *, handle: str) -> User:
    user = session.exec(select(User).where(User.handle == handle.lower())).first()
    if user is None or not user.is_active:
        raise NotFound(_("There is no member with that handle."))
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
    errors = validate_sign_up(email, handle, password, display_name)
    errors.update(taken_fields(session, email=email, handle=handle, errors=errors))
    if errors:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
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
