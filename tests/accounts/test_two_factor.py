"""Two-factor sign-in, recovery codes, re-authentication, token scope and expiry, and revocation on password
changes: the services, with the clock fixed where codes depend on it."""

from datetime import timedelta

import pyotp
import pytest
from sqlmodel import Session, col, select

from app import rate_limits
from app.accounts import lookups as accounts_lookups
from app.accounts import passwords as accounts_passwords
from app.accounts import sessions as accounts_sessions
from app.accounts import tokens as accounts_tokens
from app.accounts import two_factor
from app.accounts.models import ApiToken, RecoveryCode, TokenScope, User, UserSession
from app.brands import service as brands_service
from app.brands.models import StaffRole
from app.columns import utcnow
from app.config import get_settings
from app.errors import Conflict, Forbidden, Invalid, Unauthorized
from app.notifications.models import OutboxEmail
from tests.factories import PASSWORD, add_staff, make_brand, make_user

NEW_PASSWORD = "violet-harbour-32"


def _enrol(session: Session, user: User, now=None) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """Turn two-factor on for ``user``; the secret and the recovery codes."""
    now = now or utcnow()
    setup = two_factor.start_two_factor_setup(user=user)
    codes = two_factor.enable_two_factor(
        session, user=user, setup_token=setup.setup_token, code=pyotp.TOTP(setup.secret).at(now), now=now
    )
    return setup.secret, codes


def _code(secret: str, now, steps: int = 0) -> str:  # type: ignore[no-untyped-def]
    return pyotp.TOTP(secret).at(now + timedelta(seconds=30 * steps))


# --- Enrolment


def test_setup_changes_nothing_until_a_right_code_confirms_it(session: Session) -> None:
    user = make_user(session)
    setup = two_factor.start_two_factor_setup(user=user)
    assert setup.otpauth_uri.startswith("otpauth://totp/")
    assert setup.secret in setup.otpauth_uri
    assert setup.qr_data_uri.startswith("data:image/svg+xml")
    assert not user.has_two_factor

    now = utcnow()
    wrong = str((int(_code(setup.secret, now)) + 1) % 1_000_000).zfill(6)
    with pytest.raises(Invalid) as refused:
        two_factor.enable_two_factor(session, user=user, setup_token=setup.setup_token, code=wrong, now=now)
    assert "code" in refused.value.fields
    session.refresh(user)
    assert not user.has_two_factor and user.totp_secret is None

    codes = two_factor.enable_two_factor(
        session, user=user, setup_token=setup.setup_token, code=_code(setup.secret, now), now=now
    )
    assert user.has_two_factor and user.totp_secret == setup.secret
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(code) == 11 and code[5] == "-" for code in codes)
    assert two_factor.recovery_codes_left(session, user=user) == 10
    # Only keyed hashes are stored.
    stored = session.exec(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
    assert not {code.replace("-", "") for code in codes} & set(stored)


def test_a_setup_token_is_bound_to_its_user_and_cannot_be_forged(session: Session) -> None:
    user, other = make_user(session), make_user(session)
    setup = two_factor.start_two_factor_setup(user=user)
    now = utcnow()
    with pytest.raises(Invalid):
        two_factor.enable_two_factor(
            session, user=other, setup_token=setup.setup_token, code=_code(setup.secret, now), now=now
        )
    with pytest.raises(Invalid):
        two_factor.enable_two_factor(
            session, user=user, setup_token=setup.setup_token + "x", code=_code(setup.secret, now), now=now
        )
    _enrol(session, user)
    with pytest.raises(Conflict):
        two_factor.start_two_factor_setup(user=user)


# --- Codes: the window, reuse, recovery codes


def test_a_code_is_accepted_one_step_either_side_and_never_twice(session: Session) -> None:
    user = make_user(session)
    enrolled_at = utcnow() - timedelta(minutes=5)
    secret, _ = _enrol(session, user, now=enrolled_at)
    now = utcnow()

    # Two steps ago is outside the window.
    with pytest.raises(Unauthorized):
        two_factor.verify_second_factor(session, user=user, code=_code(secret, now, -2), client_ip="1.2.3.4", now=now)
    rate_limits.reset()  # attempts count against the log-in limit; this test makes more than it allows
    # The previous step is inside it, once.
    two_factor.verify_second_factor(session, user=user, code=_code(secret, now, -1), client_ip="1.2.3.4", now=now)
    with pytest.raises(Unauthorized, match="used already"):
        two_factor.verify_second_factor(session, user=user, code=_code(secret, now, -1), client_ip="1.2.3.4", now=now)
    # The current one, once; and after it nothing older is taken again.
    two_factor.verify_second_factor(session, user=user, code=_code(secret, now), client_ip="1.2.3.4", now=now)
    with pytest.raises(Unauthorized):
        two_factor.verify_second_factor(session, user=user, code=_code(secret, now), client_ip="1.2.3.4", now=now)
    rate_limits.reset()
    # The reuse guard is in the database, not only in the object.
    session.expire(user)
    assert user.totp_last_step == pyotp.TOTP(secret).timecode(now)
    # Next step's code (a phone clock a little ahead) still works.
    two_factor.verify_second_factor(session, user=user, code=_code(secret, now, 1), client_ip="1.2.3.4", now=now)


def test_the_enrolment_code_cannot_be_replayed_to_sign_in(session: Session) -> None:
    user = make_user(session)
    now = utcnow()
    setup = two_factor.start_two_factor_setup(user=user)
    code = _code(setup.secret, now)
    two_factor.enable_two_factor(session, user=user, setup_token=setup.setup_token, code=code, now=now)
    with pytest.raises(Unauthorized):
        two_factor.verify_second_factor(session, user=user, code=code, client_ip="1.2.3.4", now=now)


def test_recovery_codes_work_once_and_new_ones_end_the_old(session: Session) -> None:
    user = make_user(session)
    _, codes = _enrol(session, user)
    two_factor.verify_second_factor(session, user=user, code=codes[0].upper(), client_ip="1.2.3.4")
    assert two_factor.recovery_codes_left(session, user=user) == 9
    with pytest.raises(Unauthorized):
        two_factor.verify_second_factor(session, user=user, code=codes[0], client_ip="1.2.3.4")
    # Without the dash too.
    two_factor.verify_second_factor(session, user=user, code=codes[1].replace("-", ""), client_ip="1.2.3.4")

    rate_limits.reset()  # attempts count against the log-in limit; this test makes more than it allows
    fresh = two_factor.regenerate_recovery_codes(session, user=user)
    assert two_factor.recovery_codes_left(session, user=user) == 10
    with pytest.raises(Unauthorized):
        two_factor.verify_second_factor(session, user=user, code=codes[2], client_ip="1.2.3.4")
    two_factor.verify_second_factor(session, user=user, code=fresh[0], client_ip="1.2.3.4")

    # Someone else's code is no good here.
    other = make_user(session)
    _, their_codes = _enrol(session, other)
    with pytest.raises(Unauthorized):
        two_factor.verify_second_factor(session, user=user, code=their_codes[0], client_ip="1.2.3.4")


def test_code_attempts_are_rate_limited_per_account(session: Session) -> None:
    user = make_user(session)
    _enrol(session, user)
    limit = int(get_settings().login_rate_per_account.split("/")[0])
    for _ in range(limit):
        with pytest.raises(Unauthorized):
            two_factor.verify_second_factor(session, user=user, code="000000", client_ip="1.2.3.4")
    with pytest.raises(Exception, match="Too many attempts"):
        two_factor.verify_second_factor(session, user=user, code="000000", client_ip="5.6.7.8")


def test_an_empty_code_says_what_is_needed(session: Session) -> None:
    user = make_user(session)
    _enrol(session, user)
    with pytest.raises(Unauthorized, match="6-digit code"):
        two_factor.verify_second_factor(session, user=user, code=" ", client_ip="1.2.3.4")


# --- The half-signed-in step


def test_the_pending_sign_in_note_names_its_user_until_the_password_changes(session: Session) -> None:
    user = make_user(session)
    _enrol(session, user)
    note = two_factor.pending_sign_in_token(user=user)
    assert two_factor.user_for_pending_sign_in(session, token=note) == user
    assert two_factor.user_for_pending_sign_in(session, token=note + "x") is None
    assert two_factor.user_for_pending_sign_in(session, token="") is None
    # It is no session.
    assert accounts_lookups.session_for_token(session, token=note) is None
    accounts_passwords.change_password(session, user=user, current_password=PASSWORD, new_password=NEW_PASSWORD)
    assert two_factor.user_for_pending_sign_in(session, token=note) is None


# --- Turning it off, and who must keep it


def test_turning_off_removes_the_secret_and_codes_unless_a_brand_requires_it(session: Session) -> None:
    user = make_user(session)
    brand = make_brand(session, name="Northwind")
    add_staff(session, brand, user, StaffRole.owner)
    _enrol(session, user)
    brands_service.set_staff_two_factor_policy(session, brand=brand, actor=user, required=True)
    assert two_factor.two_factor_required_reason(session, user=user) == "Northwind requires it of its staff."
    with pytest.raises(Forbidden, match="Northwind requires it"):
        two_factor.disable_two_factor(session, user=user)

    brands_service.set_staff_two_factor_policy(session, brand=brand, actor=user, required=False)
    two_factor.disable_two_factor(session, user=user)
    assert not user.has_two_factor and user.totp_secret is None
    assert two_factor.recovery_codes_left(session, user=user) == 0


def test_only_someone_with_two_factor_may_require_it_of_staff(session: Session) -> None:
    owner = make_user(session)
    brand = make_brand(session)
    add_staff(session, brand, owner, StaffRole.owner)
    with pytest.raises(Invalid, match="your own account first"):
        brands_service.set_staff_two_factor_policy(session, brand=brand, actor=owner, required=True)
    assert not brand.require_staff_two_factor


def test_admins_must_use_it_when_the_site_says_so(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    admin = make_user(session, is_site_admin=True)
    monkeypatch.setattr(get_settings(), "require_admin_2fa", True)
    assert two_factor.two_factor_required_reason(session, user=admin) == "site administrators must use it."
    monkeypatch.setattr(get_settings(), "require_admin_2fa", False)
    assert two_factor.two_factor_required_reason(session, user=admin) is None


def test_admin_two_factor_is_required_by_default_only_in_production() -> None:
    settings = get_settings().model_copy(update={"require_admin_2fa": None, "environment": "production"})
    assert settings.resolved_require_admin_two_factor
    assert not settings.model_copy(update={"environment": "development"}).resolved_require_admin_two_factor


def test_resetting_two_factor_ends_every_session(session: Session) -> None:
    user = make_user(session)
    _enrol(session, user)
    accounts_sessions.start_session(session, user=user)
    two_factor.reset_two_factor(session, user=user)
    assert not user.has_two_factor
    assert session.exec(select(UserSession).where(UserSession.user_id == user.id)).first() is None


# --- Re-authentication


def test_a_recent_sign_in_needs_no_new_proof_and_an_old_one_does(session: Session) -> None:
    user = make_user(session)
    now = utcnow()
    recent = two_factor.SignIn(user_session_id=None, authenticated_at=now - timedelta(minutes=9))
    two_factor.confirm_identity(session, user=user, sign_in=recent, password_or_code="", client_ip="1.2.3.4", now=now)
    stale = two_factor.SignIn(user_session_id=None, authenticated_at=now - timedelta(minutes=11))
    with pytest.raises(Forbidden, match="Confirm it is you"):
        two_factor.confirm_identity(
            session, user=user, sign_in=stale, password_or_code="", client_ip="1.2.3.4", now=now
        )
    # An API token has no sign-in at all.
    with pytest.raises(Forbidden):
        two_factor.confirm_identity(
            session, user=user, sign_in=two_factor.SignIn(), password_or_code="", client_ip="1.2.3.4", now=now
        )
    with pytest.raises(Forbidden, match="not right"):
        two_factor.confirm_identity(
            session, user=user, sign_in=stale, password_or_code="not-my-password", client_ip="1.2.3.4", now=now
        )


def test_a_password_or_code_refreshes_the_browser_session(session: Session) -> None:
    user = make_user(session)
    secret, _ = _enrol(session, user, now=utcnow() - timedelta(minutes=5))
    accounts_sessions.start_session(session, user=user)
    row = session.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    now = utcnow() + timedelta(minutes=30)
    sign_in = two_factor.SignIn(user_session_id=row.id, authenticated_at=row.authenticated_at)
    assert not sign_in.is_recent(now)

    two_factor.confirm_identity(
        session, user=user, sign_in=sign_in, password_or_code=PASSWORD, client_ip="1.2.3.4", now=now
    )
    session.refresh(row)
    assert row.authenticated_at == now

    later = now + timedelta(minutes=30)
    two_factor.confirm_identity(
        session, user=user, sign_in=sign_in, password_or_code=_code(secret, later), client_ip="1.2.3.4", now=later
    )
    # The code is used up.
    with pytest.raises(Forbidden):
        two_factor.confirm_identity(
            session, user=user, sign_in=sign_in, password_or_code=_code(secret, later), client_ip="1.2.3.4", now=later
        )


# --- API tokens: scope, expiry, last use


def test_tokens_expire_after_the_chosen_lifetime(session: Session) -> None:
    user = make_user(session)
    now = utcnow()
    token, plain = accounts_tokens.create_api_token(
        session, user=user, name="dashboard", scope=TokenScope.read, lifetime_days=30, now=now
    )
    assert token.scope == TokenScope.read
    assert token.expires_at == now + timedelta(days=30)
    assert accounts_lookups.api_token_for(session, plain=plain) is not None

    _, old_plain = accounts_tokens.create_api_token(
        session, user=user, name="old", lifetime_days=7, now=now - timedelta(days=7, seconds=1)
    )
    assert accounts_lookups.api_token_for(session, plain=old_plain) is None

    with pytest.raises(Invalid) as refused:
        accounts_tokens.create_api_token(session, user=user, name="forever", lifetime_days=10_000)
    assert "lifetime_days" in refused.value.fields


def test_last_use_is_written_at_most_once_a_minute(session: Session, time_machine) -> None:  # type: ignore[no-untyped-def]
    start = utcnow()
    time_machine.move_to(start, tick=False)
    user = make_user(session)
    token, plain = accounts_tokens.create_api_token(session, user=user, name="script")
    accounts_lookups.api_token_for(session, plain=plain)
    session.refresh(token)
    assert token.last_used_at == start

    time_machine.move_to(start + timedelta(seconds=59), tick=False)
    accounts_lookups.api_token_for(session, plain=plain)
    session.refresh(token)
    assert token.last_used_at == start

    time_machine.move_to(start + timedelta(seconds=61), tick=False)
    accounts_lookups.api_token_for(session, plain=plain)
    session.refresh(token)
    assert token.last_used_at == start + timedelta(seconds=61)


# --- Password changes shut out whoever had the old one


def _live_tokens(session: Session, user: User) -> int:
    return len(
        session.exec(select(ApiToken).where(ApiToken.user_id == user.id, col(ApiToken.revoked_at).is_(None))).all()
    )


def test_changing_the_password_revokes_every_token_and_says_so(session: Session) -> None:
    user = make_user(session)
    _, plain = accounts_tokens.create_api_token(session, user=user, name="one")
    accounts_tokens.create_api_token(session, user=user, name="two")
    other = make_user(session)
    accounts_tokens.create_api_token(session, user=other, name="theirs")
    accounts_sessions.start_session(session, user=user)

    changed = accounts_passwords.change_password(
        session, user=user, current_password=PASSWORD, new_password=NEW_PASSWORD
    )
    assert changed.revoked_tokens == 2
    assert "your 2 API tokens revoked" in changed.tokens_clause
    assert _live_tokens(session, user) == 0 and _live_tokens(session, other) == 1
    assert accounts_lookups.api_token_for(session, plain=plain) is None
    assert session.exec(select(UserSession).where(UserSession.user_id == user.id)).first() is None
    email = session.exec(select(OutboxEmail).where(OutboxEmail.to_address == user.email)).one()
    assert "password was changed" in email.subject
    assert "2 API tokens were revoked" in email.body_text and "/settings/tokens" in email.body_text


def test_resetting_the_password_revokes_every_token(session: Session) -> None:
    user = make_user(session)
    _, plain = accounts_tokens.create_api_token(session, user=user, name="stolen")
    accounts_passwords.request_password_reset(session, email=user.email, client_ip="1.2.3.4")
    link = session.exec(select(OutboxEmail).where(OutboxEmail.to_address == user.email)).one().body_text
    token = link.split("/reset/")[1].split()[0]

    changed = accounts_passwords.reset_password(session, token=token, new_password=NEW_PASSWORD)
    assert changed.revoked_tokens == 1
    assert accounts_lookups.api_token_for(session, plain=plain) is None
    subjects = session.exec(select(OutboxEmail.subject).where(OutboxEmail.to_address == user.email)).all()
    assert any("password was reset" in subject for subject in subjects)


def test_the_data_export_leaves_out_the_secret_and_the_code_hashes(session: Session) -> None:
    from app.moderation import privacy

    user = make_user(session)
    secret, _ = _enrol(session, user)
    exported = repr(privacy.export_member_data(session, user=user))
    assert secret not in exported
    assert "totp_secret" not in exported and "code_hash" not in exported
    assert "recovery_codes" in exported  # the rows are there (when made, when used), without the hashes
