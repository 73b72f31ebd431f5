"""Two-factor sign-in with an authenticator app (TOTP, RFC 6238), recovery codes, the half-signed-in step between
password and code, re-authentication before sensitive changes, and who must use two-factor.

Kept apart from ``app.accounts.service`` because it asks ``app.brands`` which brands require it of their staff, and
``app.brands`` builds on ``app.accounts.service``.
"""

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
import segno
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import CursorResult
from sqlmodel import Session, col, delete, func, select, update

from app import rate_limits
from app.accounts import passwords as accounts_passwords
from app.accounts import service as accounts_service
from app.accounts import sessions as accounts_sessions
from app.accounts.models import RecoveryCode, User, UserSession
from app.brands import service as brands_service
from app.columns import id_of, utcnow
from app.config import get_settings
from app.errors import Conflict, Forbidden, Invalid, Unauthorized
from app.i18n import N_, _

ISSUER = "Chorus"
# A code is accepted for its own 30-second step and one step either side (clocks drift), never twice.
TOTP_VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
SETUP_MINUTES = 30
PENDING_SIGN_IN_MINUTES = 10
# A sensitive change within this long of signing in (or of confirming the password or a code) needs no new proof.
REAUTHENTICATION_MINUTES = 10
TOTP_CODE_PATTERN = re.compile(r"^\d{6}$")
# Recovery codes: ten characters of an alphabet without look-alikes (no 0/o, 1/l/i), shown as two groups of five.
_RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().resolved_secret_key, salt=f"chorus.{purpose}")


# --- Enrolment --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TwoFactorSetup:
    """What an authenticator app needs, and the signed token that carries the secret to the confirming step (so
    nothing is stored until a correct code proves the app has it)."""

    secret: str
    otpauth_uri: str
    setup_token: str

    @property
    def secret_groups(self) -> str:
        """The secret in groups of four, easier to type into an app by hand."""
        return " ".join(self.secret[index : index + 4] for index in range(0, len(self.secret), 4))

    @property
    def qr_data_uri(self) -> str:
        """The otpauth URI as a QR code, an SVG data: URI (the CSP allows data: images; no script or style)."""
        return segno.make(self.otpauth_uri, error="m").svg_data_uri(scale=4, dark="#111", light="#fff")


def start_two_factor_setup(*, user: User) -> TwoFactorSetup:
    """A new secret for the user to add to their authenticator app; nothing changes until it is confirmed."""
    if user.has_two_factor:
        raise Conflict(_("Two-factor authentication is on already."))
    secret = pyotp.random_base32()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=get_settings().site_name or ISSUER)
    token = _serializer("two-factor-setup").dumps({"user_id": user.id, "secret": secret})
    return TwoFactorSetup(secret=secret, otpauth_uri=uri, setup_token=token)


def setup_from_token(*, user: User, setup_token: str) -> TwoFactorSetup:
    """The setup a token carries (to show the same QR code again after a wrong code)."""
    secret = _setup_secret(user=user, setup_token=setup_token)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=get_settings().site_name or ISSUER)
    return TwoFactorSetup(secret=secret, otpauth_uri=uri, setup_token=setup_token)


def _setup_secret(*, user: User, setup_token: str) -> str:
    try:
        payload = _serializer("two-factor-setup").loads(setup_token, max_age=SETUP_MINUTES * 60)
    except SignatureExpired as error:
        raise Invalid(_("This set-up has expired: start again with a new QR code.")) from error
    except BadSignature as error:
        raise Invalid(_("This set-up is not valid: start again with a new QR code.")) from error
    if payload.get("user_id") != user.id:
        raise Invalid(_("This set-up is not valid: start again with a new QR code."))
    return str(payload["secret"])


def enable_two_factor(
    session: Session, *, user: User, setup_token: str, code: str, now: datetime | None = None
) -> list[str]:
    """Switch two-factor on once ``code`` proves the app holds the secret; returns the ten recovery codes, shown
    this once."""
    now = now or utcnow()
    if user.has_two_factor:
        raise Conflict(_("Two-factor authentication is on already."))
    secret = _setup_secret(user=user, setup_token=setup_token)
    step = _matching_step(secret, code, now)
    if step is None:
        raise Invalid(
            _("Please correct the marked fields."),
            fields={"code": _("That code does not match. Enter the 6 digits the app shows now.")},
        )
    user.totp_secret = secret
    user.two_factor_enabled_at = now
    user.totp_last_step = step
    session.add(user)
    session.flush()
    return regenerate_recovery_codes(session, user=user, now=now)


def disable_two_factor(session: Session, *, user: User) -> None:
    """Switch two-factor off (the caller has re-authenticated); refused while a policy requires it."""
    if not user.has_two_factor:
        raise Conflict(_("Two-factor authentication is off already."))
    reason = two_factor_required_reason(session, user=user)
    if reason:
        raise Forbidden(_("You cannot turn two-factor authentication off: %(reason)s", reason=reason))
    user.totp_secret = None
    user.two_factor_enabled_at = None
    user.totp_last_step = 0
    session.add(user)
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    session.flush()


def reset_two_factor(session: Session, *, user: User) -> None:
    """An operator's escape hatch (``chorus reset-two-factor``) for a member who lost both the device and the
    recovery codes and proved who they are some other way: two-factor off, every session ended."""
    user.totp_secret = None
    user.two_factor_enabled_at = None
    user.totp_last_step = 0
    session.add(user)
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    accounts_sessions.end_all_sessions(session, user=user)
    session.flush()


# --- Codes ------------------------------------------------------------------------------------------------------


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (within the window around ``now``) whose code is ``code``, or None."""
    code = code.strip().replace(" ", "")
    if not TOTP_CODE_PATTERN.match(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - TOTP_VALID_WINDOW, current + TOTP_VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _accept_totp(session: Session, *, user: User, code: str, now: datetime) -> bool:
    """Whether ``code`` is a current code of the user's app not used before; uses it up. The step is recorded with
    a conditional UPDATE, so two requests racing with one code cannot both pass."""
    if not user.has_two_factor or user.totp_secret is None:
        return False
    step = _matching_step(user.totp_secret, code, now)
    if step is None:
        return False
    result = session.execute(
        update(User).where(col(User.id) == user.id, col(User.totp_last_step) < step).values(totp_last_step=step)
    )
    if not isinstance(result, CursorResult) or result.rowcount != 1:
        return False
    user.totp_last_step = step
    return True


def _recovery_hash(code: str) -> str:
    """A keyed hash: the codes are random enough that no slow hash is needed, and a copy of the database alone
    cannot test guesses against them."""
    normalised = code.strip().lower().replace("-", "").replace(" ", "")
    key = hashlib.sha256(f"chorus.recovery-code:{get_settings().resolved_secret_key}".encode()).digest()
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()


def regenerate_recovery_codes(session: Session, *, user: User, now: datetime | None = None) -> list[str]:
    """Ten new single-use recovery codes; the old ones stop working."""
    if not user.has_two_factor:
        raise Conflict(_("Turn two-factor authentication on first."))
    now = now or utcnow()
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    codes = []
    for _code in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _character in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(user_id=id_of(user), code_hash=_recovery_hash(raw), created_at=now))
    session.flush()
    return codes


def recovery_codes_left(session: Session, *, user: User) -> int:
    return session.exec(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, col(RecoveryCode.used_at).is_(None))
    ).one()


def _use_recovery_code(session: Session, *, user: User, code: str, now: datetime) -> bool:
    """Whether ``code`` is one of the user's unused recovery codes; marks it used (one conditional UPDATE)."""
    if not user.has_two_factor or not code.strip():
        return False
    result = session.execute(
        update(RecoveryCode)
        .where(
            col(RecoveryCode.user_id) == user.id,
            col(RecoveryCode.code_hash) == _recovery_hash(code),
            col(RecoveryCode.used_at).is_(None),
        )
        .values(used_at=now)
    )
    return isinstance(result, CursorResult) and result.rowcount == 1


def verify_second_factor(
    session: Session, *, user: User, code: str, client_ip: str, now: datetime | None = None
) -> None:
    """The second step of signing in: a code from the app, or a recovery code. Rate-limited like logging in."""
    now = now or utcnow()
    settings = get_settings()
    if not code.strip():
        raise Unauthorized(
            _(
                "This account signs in with two-factor authentication: enter the 6-digit code from your authenticator "
                "app, or one of your recovery codes."
            )
        )
    rate_limits.hit(settings.login_rate_per_ip, "two-factor-ip", client_ip, message=_("Too many attempts from here."))
    rate_limits.hit(
        settings.login_rate_per_account,
        "two-factor-account",
        str(user.id),
        message=_("Too many attempts for this account. Wait a minute and try again."),
    )
    if TOTP_CODE_PATTERN.match(code.strip().replace(" ", "")):
        accepted = _accept_totp(session, user=user, code=code, now=now)
    else:
        accepted = _use_recovery_code(session, user=user, code=code, now=now)
    if not accepted:
        raise Unauthorized(
            _(
                "That code is not right, or was used already. Wait for the app to show a new code, or use a "
                "recovery code."
            )
        )


# --- The half-signed-in step ------------------------------------------------------------------------------------


def pending_sign_in_token(*, user: User) -> str:
    """A signed note that the password was right, for the code step; it is no session and grants nothing else. It
    names the password's stamp, so a password reset meanwhile voids it."""
    return _serializer("two-factor-pending").dumps(
        {"user_id": user.id, "stamp": accounts_passwords.password_stamp(user)}
    )


def user_for_pending_sign_in(session: Session, *, token: str) -> User | None:
    """The user whose password was right a moment ago, or None when the note is missing, old or forged."""
    if not token:
        return None
    try:
        payload = _serializer("two-factor-pending").loads(token, max_age=PENDING_SIGN_IN_MINUTES * 60)
    except BadSignature:
        return None
    user = session.get(User, payload.get("user_id"))
    if user is None or not user.is_active or not user.has_two_factor:
        return None
    if payload.get("stamp") != accounts_passwords.password_stamp(user):
        return None
    return user


# --- Re-authentication ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignIn:
    """How the current request is signed in: a browser session (its id and when its owner last proved who they
    are), or an API token (no session: every sensitive change must carry the password or a code)."""

    user_session_id: int | None = None
    authenticated_at: datetime | None = None

    def is_recent(self, now: datetime | None = None) -> bool:
        if self.authenticated_at is None:
            return False
        return (now or utcnow()) - self.authenticated_at <= timedelta(minutes=REAUTHENTICATION_MINUTES)


REAUTHENTICATE_MESSAGE = N_(
    "Confirm it is you: this needs a sign-in within the last %(minutes)s minutes, or your current "
    "password or a code from your authenticator app (current_password_or_code)."
)


def confirm_identity(
    session: Session,
    *,
    user: User,
    sign_in: SignIn,
    password_or_code: str,
    client_ip: str,
    now: datetime | None = None,
) -> None:
    """Allow a sensitive change after a recent sign-in, or with the current password or an authenticator code
    (which then counts as a fresh sign-in for this browser session); otherwise 403."""
    now = now or utcnow()
    if not password_or_code:
        if sign_in.is_recent(now):
            return
        raise Forbidden(
            _(REAUTHENTICATE_MESSAGE, minutes=REAUTHENTICATION_MINUTES),
            fields={"current_password_or_code": _("Enter your password or a code.")},
        )
    settings = get_settings()
    rate_limits.hit(
        settings.login_rate_per_account,
        "reauthenticate-account",
        str(user.id),
        message=_("Too many attempts for this account. Wait a minute and try again."),
    )
    value = password_or_code.strip()
    if user.has_two_factor and TOTP_CODE_PATTERN.match(value.replace(" ", "")):
        confirmed = _accept_totp(session, user=user, code=value, now=now)
    else:
        confirmed = accounts_service.password_hasher.verify(password_or_code, user.password_hash)
    if not confirmed:
        raise Forbidden(
            _("That password or code is not right."),
            fields={"current_password_or_code": _("This is not your password or a current code.")},
        )
    if sign_in.user_session_id is not None:
        session.execute(
            update(UserSession).where(col(UserSession.id) == sign_in.user_session_id).values(authenticated_at=now)
        )
    session.flush()


# --- Who must use two-factor ------------------------------------------------------------------------------------


def two_factor_required_reason(session: Session, *, user: User) -> str | None:
    """Why this person must sign in with two-factor (the site's rule for admins, or a brand's for its staff)."""
    if user.is_site_admin and get_settings().resolved_require_admin_two_factor:
        return _("site administrators must use it.")
    brands: Sequence[str] = brands_service.brands_requiring_two_factor(session, user=user)
    if brands:
        return _("%(brands)s requires it of its staff.", brands=", ".join(brands))
    return None
