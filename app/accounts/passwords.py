"""Accounts: passwords, by reset link or changed when logged in (either ends every login and revokes every API
token), and the accounts staff invite by e-mail (whose first password comes through a reset link)."""

import hashlib
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired
from sqlmodel import Session, select

from app import rate_limits
from app.accounts.models import User
from app.accounts.service import (
    RESERVED_HANDLES,
    check_password_strength,
    link_serializer,
    normalise_email,
    password_hasher,
    slugify_handle,
)
from app.accounts.sessions import end_all_sessions
from app.accounts.tokens import revoke_all_api_tokens
from app.columns import utcnow
from app.config import get_settings
from app.errors import Invalid
from app.i18n import _, ngettext, use_locale
from app.notifications import service as notifications_service


def request_password_reset(session: Session, *, email: str, client_ip: str) -> None:
    """E-mail a reset link if the address has an account; the answer is the same either way."""
    settings = get_settings()
    rate_limits.hit(settings.reset_rate_per_ip, "reset-ip", client_ip, message=_("Too many reset requests from here."))
    email = normalise_email(email)
    if not email:
        raise Invalid(_("Enter your e-mail address."), fields={"email": _("Enter your e-mail address.")})
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None or not user.is_active:
        return
    rate_limits.hit(
        settings.reset_rate_per_account,
        "reset-account",
        email,
        message=_("Too many reset requests for this account."),
    )
    with use_locale(user.locale, user.time_zone):
        notifications_service.queue_email(
            session,
            to_address=user.email,
            subject=_("Reset your %(site)s password", site=settings.site_name),
            body_text=_(
                "Hello %(name)s,\n\nChoose a new password here:\n%(link)s\n\n"
                "The link works once, for %(minutes)s minutes. "
                "If you did not ask for it, ignore this e-mail: your password stays as it is.",
                name=user.display_name,
                link=_reset_link(user),
                minutes=settings.password_reset_minutes,
            ),
        )


def _reset_link(user: User) -> str:
    token = link_serializer("reset").dumps({"user_id": user.id, "stamp": password_stamp(user)})
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
    # The invitee has no language of their own yet: the inviting request's (a staff member's) is the best guess.
    notifications_service.queue_email(
        session,
        to_address=email,
        subject=_("You are invited to %(site)s", site=settings.site_name),
        body_text=_(
            "Hello %(name)s,\n\n%(reason)s\n\n"
            "Choose your password to log in (your handle is %(handle)s):\n%(link)s\n\n"
            "The link works once, for %(minutes)s minutes; after that, use "
            "'Forgot your password?' on %(login)s.",
            name=user.display_name,
            reason=reason,
            handle=handle,
            link=_reset_link(user),
            minutes=settings.password_reset_minutes,
            login=settings.base_url + "/login",
        ),
    )
    return user


def password_stamp(user: User) -> str:
    """Changes whenever the password does, so a reset link works only once."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def user_for_reset_token(session: Session, *, token: str) -> User:
    """The user a reset link is for; Invalid when it is expired, used or forged."""
    try:
        payload = link_serializer("reset").loads(token, max_age=get_settings().password_reset_minutes * 60)
    except SignatureExpired as error:
        raise Invalid(_("This reset link has expired. Ask for a new one.")) from error
    except BadSignature as error:
        raise Invalid(_("This reset link is not valid. Copy the whole link from the e-mail.")) from error
    user = session.get(User, payload.get("user_id"))
    if user is None or payload.get("stamp") != password_stamp(user):
        raise Invalid(_("This reset link has been used already. Ask for a new one."))
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
        return ngettext(
            " and your %(num)s API token revoked (make new ones under Settings, API tokens)",
            " and your %(num)s API tokens revoked (make new ones under Settings, API tokens)",
            self.revoked_tokens,
        )


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
        raise Invalid(
            _("Please correct the marked fields."), fields={"current_password": _("This is not your password.")}
        )
    return _set_password(session, user=user, new_password=new_password, how="changed")


def _set_password(session: Session, *, user: User, new_password: str, how: str) -> PasswordChanged:
    """Whoever had the old password (or a session or token from it) is shut out: a stolen API token must not
    outlive the owner's recovery of the account."""
    weakness = check_password_strength(new_password, user_inputs=[user.email, user.handle, user.display_name])
    if weakness:
        raise Invalid(_("Please correct the marked fields."), fields={"password": weakness})
    now = utcnow()
    user.password_hash = password_hasher.hash(new_password)
    user.password_changed_at = now
    session.add(user)
    end_all_sessions(session, user=user)
    revoked = revoke_all_api_tokens(session, user=user, now=now)
    settings = get_settings()
    with use_locale(user.locale, user.time_zone):
        links = {"login": f"{settings.base_url}/login", "tokens": f"{settings.base_url}/settings/tokens"}
        if how == "reset":
            subject = _("Your %(site)s password was reset", site=settings.site_name)
            what = _("Your password was reset.")
        else:
            subject = _("Your %(site)s password was changed", site=settings.site_name)
            what = _("Your password was changed.")
        if revoked:
            logged_out = ngettext(
                "Every session was logged out and your %(num)s API token was revoked. Log in again at %(login)s "
                "and make new tokens at %(tokens)s.",
                "Every session was logged out and your %(num)s API tokens were revoked. Log in again at %(login)s "
                "and make new tokens at %(tokens)s.",
                revoked,
                **links,
            )
        else:
            logged_out = _("Every session was logged out. Log in again at %(login)s.", login=links["login"])
        notifications_service.queue_email(
            session,
            to_address=user.email,
            subject=subject,
            body_text=_(
                "Hello %(name)s,\n\n%(what)s %(logged_out)s\n\n"
                "If you did not do this, reset your password at once: %(reset)s",
                name=user.display_name,
                what=what,
                logged_out=logged_out,
                reset=settings.base_url + "/reset",
            ),
        )
    session.flush()
    return PasswordChanged(user=user, revoked_tokens=revoked)
