"""Accounts: signing up, and confirming the e-mail address (which signs the new member in, the first time)."""

from dataclasses import dataclass, replace
from urllib.parse import quote

from itsdangerous import BadSignature, SignatureExpired
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app import rate_limits
from app.accounts.models import User
from app.accounts.service import link_serializer, normalise_email, password_hasher, taken_fields, validate_sign_up
from app.accounts.sessions import start_session
from app.columns import utcnow
from app.config import get_settings
from app.errors import Conflict, Invalid
from app.i18n import _, ngettext, use_locale
from app.i18n.context import asked_locale
from app.notifications import service as notifications_service
from app.rewards import referrals as rewards_referrals


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
    rate_limits.hit(settings.signup_rate_per_ip, "signup-ip", client_ip, message=_("Too many sign-ups from here."))
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
        password_hash=password_hasher.hash(password),
        locale=asked_locale(),
    )
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError as error:  # a concurrent sign-up took the e-mail or handle between check and insert
        raise Conflict(_("That e-mail address or handle was just taken; try another.")) from error
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
    token = link_serializer("confirm").dumps(payload)
    onward = f"?next={quote(next_path)}" if next_path != "/" else ""
    link = f"{settings.base_url}/confirm/{token}{onward}"
    with use_locale(user.locale, user.time_zone):
        notifications_service.queue_email(
            session,
            to_address=user.email,
            subject=_("Confirm your e-mail address for %(site)s", site=settings.site_name),
            body_text=ngettext(
                "Hello %(name)s,\n\nConfirm your e-mail address to finish signing up:\n%(link)s\n\n"
                "The link works for %(num)s hour. If you did not sign up, ignore this e-mail.",
                "Hello %(name)s,\n\nConfirm your e-mail address to finish signing up:\n%(link)s\n\n"
                "The link works for %(num)s hours. If you did not sign up, ignore this e-mail.",
                settings.confirm_email_hours,
                name=user.display_name,
                link=link,
            ),
        )


def resend_confirmation(session: Session, *, email: str, client_ip: str) -> None:
    """Send a fresh confirmation link if an unconfirmed account has this address; say nothing either way."""
    settings = get_settings()
    rate_limits.hit(settings.reset_rate_per_ip, "confirm-ip", client_ip, message=_("Too many requests from here."))
    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    if user is not None and not user.is_confirmed:
        rate_limits.hit(settings.reset_rate_per_account, "confirm-account", user.email, message=_("Too many requests."))
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
        payload = link_serializer("confirm").loads(token, max_age=get_settings().confirm_email_hours * 3600)
    except SignatureExpired as error:
        raise Invalid(_("This confirmation link has expired. Log in to get a new one.")) from error
    except BadSignature as error:
        raise Invalid(_("This confirmation link is not valid. Copy the whole link from the e-mail.")) from error
    user = session.get(User, payload.get("user_id"))
    if user is None or user.email != payload.get("email"):
        raise Invalid(_("This confirmation link is not valid any more."))
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
