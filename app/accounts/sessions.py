"""Accounts: logging in (checking the password) and out; the server-side sessions a cookie names."""

import secrets
from datetime import timedelta
from functools import cache

from pwdlib import PasswordHash
from sqlmodel import Session, col, delete, or_, select

from app import rate_limits
from app.accounts.models import User, UserSession
from app.accounts.service import hash_token, password_hasher
from app.columns import id_of, utcnow
from app.config import get_settings
from app.errors import Invalid, Unauthorized
from app.i18n import _
from app.moderation import fingerprints


@cache
def _dummy_hash(hasher: PasswordHash) -> str:
    """Verified against when the login names no account, so both answers take the same time. Made on first use, not
    at import: a hash costs as much CPU as a check (about 0.2 s), and every process (CLI commands, test workers)
    would pay it whether or not anyone logs in."""
    return hasher.hash("chorus-timing-equaliser")


def authenticate(session: Session, *, login: str, password: str, client_ip: str) -> User:
    """Check a login (e-mail or handle) and password; rate-limited per IP and per account."""
    settings = get_settings()
    login = login.strip().lower()
    if not login or not password:
        raise Invalid(_("Enter your e-mail address or handle, and your password."))
    rate_limits.hit(settings.login_rate_per_ip, "login-ip", client_ip, message=_("Too many login attempts from here."))
    rate_limits.hit(
        settings.login_rate_per_account,
        "login-account",
        login,
        message=_("Too many login attempts for this account."),
    )
    user = session.exec(select(User).where(or_(User.email == login, User.handle == login))).first()
    if user is None:
        password_hasher.verify(password, _dummy_hash(password_hasher))
        raise Unauthorized(_("That e-mail address or handle and password do not match."))
    valid, updated_hash = password_hasher.verify_and_update(password, user.password_hash)
    if not valid:
        raise Unauthorized(_("That e-mail address or handle and password do not match."))
    if not user.is_active:
        raise Unauthorized(_("This account is closed."))
    if not user.is_confirmed:
        raise Unauthorized(_("Confirm your e-mail address first: we sent you a link. You can ask for a new one below."))
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


def end_session(session: Session, *, token: str) -> None:
    """Log out: the session row goes, so the cookie is worthless even if kept."""
    session.execute(delete(UserSession).where(col(UserSession.token_hash) == hash_token(token)))


def end_all_sessions(session: Session, *, user: User) -> None:
    session.execute(delete(UserSession).where(col(UserSession.user_id) == user.id))
