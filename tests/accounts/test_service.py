"""The accounts service: validation, normalisation, passwords, sessions, invitations, API tokens."""

import re
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from app.accounts import lookups as accounts_lookups
from app.accounts import passwords as accounts_passwords
from app.accounts import service
from app.accounts import sessions as accounts_sessions
from app.accounts import signup as accounts_signup
from app.accounts import tokens as accounts_tokens
from app.accounts.models import ApiToken, User, UserSession
from app.columns import utcnow
from app.config import get_settings
from app.errors import AppError, Invalid, NotFound, Unauthorized
from app.moderation import fingerprints
from app.moderation.models import MemberFingerprint
from app.notifications.models import OutboxEmail
from tests import passwords
from tests.factories import PASSWORD, make_user

GOOD_PASSWORD = "copper-lantern-91"


def _sign_up(session: Session, **overrides: str) -> User:
    values = {"email": "ada@example.com", "handle": "ada", "password": GOOD_PASSWORD, "client_ip": "10.0.0.1"}
    values.update(overrides)
    return accounts_signup.sign_up(session, **values)  # type: ignore[arg-type]


def _errors(error: pytest.ExceptionInfo[AppError]) -> dict[str, str]:
    return error.value.fields


def _emails_to(session: Session, address: str) -> list[OutboxEmail]:
    return list(session.exec(select(OutboxEmail).where(OutboxEmail.to_address == address)).all())


def _link(email: OutboxEmail, path: str) -> str:
    match = re.search(rf"http://testserver/{path}/(\S+)", email.body_text)
    assert match, email.body_text
    return match.group(1)


# --- sign_up ------------------------------------------------------------------------------------------------


def test_sign_up_normalises_and_queues_the_confirmation(session: Session) -> None:
    user = _sign_up(session, email="  Ada.Lovelace@Example.COM ", handle="  Ada_L ", display_name="  ")
    assert user.email == "ada.lovelace@example.com"
    assert user.handle == "ada_l"
    assert user.display_name == "ada_l"  # the handle when no name is given
    assert user.email_confirmed_at is None
    assert user.password_hash != GOOD_PASSWORD
    assert service.password_hasher.verify(GOOD_PASSWORD, user.password_hash)
    [email] = _emails_to(session, "ada.lovelace@example.com")
    assert "Confirm your e-mail address" in email.subject
    assert accounts_signup.confirm_email(session, token=_link(email, "confirm")).user.id == user.id


def test_sign_up_keeps_a_given_display_name_trimmed(session: Session) -> None:
    assert _sign_up(session, display_name="  Ada Lovelace ").display_name == "Ada Lovelace"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "", "Enter your e-mail address."),
        ("email", "no-at-sign", "Enter an e-mail address like name@example.com."),
        ("email", "two@@example.com", "Enter an e-mail address like name@example.com."),
        ("email", "spaces in@example.com", "Enter an e-mail address like name@example.com."),
        ("email", "a@" + "b" * 250 + ".com", "Enter an e-mail address like name@example.com."),
        ("handle", "", "Choose a handle."),
        ("handle", "ab", "Use 3 to 30 lower-case letters, digits or underscores."),
        ("handle", "has-hyphen", "Use 3 to 30 lower-case letters, digits or underscores."),
        ("handle", "x" * 31, "Use 3 to 30 lower-case letters, digits or underscores."),
        ("handle", "Admin", "That handle is reserved; choose another."),
        ("handle", "settings", "That handle is reserved; choose another."),
        ("display_name", "n" * 81, "Use at most 80 characters."),
        ("password", "", "Choose a password."),
        ("password", "short", "Use at least 10 characters."),
        ("password", "p" * 257, "Use at most 256 characters."),
        (
            "password",
            "password1234",
            "This is a very common password. Add another word or two. Uncommon words are better.",
        ),
    ],
)
def test_sign_up_validation_messages(session: Session, field: str, value: str, message: str) -> None:
    with pytest.raises(Invalid) as error:
        _sign_up(session, **{field: value})
    assert error.value.status_code == 422
    assert error.value.message == "Please correct the marked fields."
    assert _errors(error) == {field: message}
    assert session.exec(select(User)).all() == []


def test_sign_up_refuses_a_password_made_of_the_handle(session: Session) -> None:
    with pytest.raises(Invalid) as error:
        _sign_up(session, email="adalovelace@example.com", handle="adalovelace", password="adalovelace1815")
    assert "password" in _errors(error)
    # The same password is fine for someone else: it is the link to the account that makes it guessable.
    assert _sign_up(session, email="grace@example.com", handle="grace", password="adalovelace1815")


def test_sign_up_reports_every_problem_at_once(session: Session) -> None:
    with pytest.raises(Invalid) as error:
        _sign_up(session, email="bad", handle="b", password="")
    assert set(_errors(error)) == {"email", "handle", "password"}


def test_sign_up_refuses_taken_address_and_handle_case_insensitively(session: Session) -> None:
    make_user(session, email="taken@example.com", handle="taken")
    with pytest.raises(Invalid) as error:
        _sign_up(session, email="TAKEN@Example.com", handle="TAKEN")
    assert _errors(error) == {
        "email": "An account with this e-mail address exists already. Log in or reset the password.",
        "handle": "That handle is taken; choose another.",
    }
    assert len(session.exec(select(User)).all()) == 1


def test_sign_up_does_not_call_a_malformed_handle_taken(session: Session) -> None:
    make_user(session, handle="ab1")
    with pytest.raises(Invalid) as error:
        _sign_up(session, handle="Ab")
    assert _errors(error)["handle"].startswith("Use 3 to 30")


def test_sign_up_counts_against_the_per_ip_limit(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.errors import TooManyRequests

    monkeypatch.setattr(get_settings(), "signup_rate_per_ip", "1/hour")
    _sign_up(session)
    with pytest.raises(TooManyRequests) as error:
        _sign_up(session, email="other@example.com", handle="other")
    assert error.value.retry_after >= 1
    # Another address is not affected.
    assert _sign_up(session, email="third@example.com", handle="third", client_ip="10.0.0.2")


# --- confirm_email ------------------------------------------------------------------------------------------


def test_confirm_email_refuses_forged_expired_and_stale_tokens(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = _sign_up(session)
    token = _link(_emails_to(session, "ada@example.com")[0], "confirm")
    with pytest.raises(Invalid, match="not valid"):
        accounts_signup.confirm_email(session, token=token + "x")
    # A token for an address the account no longer has.
    stale = service.link_serializer("confirm").dumps({"user_id": user.id, "email": "old@example.com"})
    with pytest.raises(Invalid, match="not valid any more"):
        accounts_signup.confirm_email(session, token=stale)
    monkeypatch.setattr(get_settings(), "confirm_email_hours", -1)
    with pytest.raises(Invalid, match="expired"):
        accounts_signup.confirm_email(session, token=token)
    session.refresh(user)
    assert user.email_confirmed_at is None


def test_confirm_email_keeps_the_first_confirmation_time(session: Session) -> None:
    user = _sign_up(session)
    token = _link(_emails_to(session, "ada@example.com")[0], "confirm")
    first = accounts_signup.confirm_email(session, token=token).user.email_confirmed_at
    assert first is not None
    assert accounts_signup.confirm_email(session, token=token).user.email_confirmed_at == first
    assert user.is_confirmed


def test_confirming_signs_in_the_first_time_only(session: Session) -> None:
    user = _sign_up(session)
    token = _link(_emails_to(session, "ada@example.com")[0], "confirm")
    first = accounts_signup.confirm_email_and_sign_in(session, token=token, ip_address="10.0.0.1", user_agent="test")
    assert first.user.id == user.id and user.is_confirmed and first.session_token
    assert accounts_lookups.user_for_session_token(session, token=first.session_token) == user
    again = accounts_signup.confirm_email_and_sign_in(session, token=token)
    assert again.user.id == user.id and again.session_token is None


def test_resend_confirmation_only_for_unconfirmed_accounts(session: Session) -> None:
    _sign_up(session)
    make_user(session, email="done@example.com")
    accounts_signup.resend_confirmation(session, email="ADA@example.com", client_ip="1.2.3.4")
    accounts_signup.resend_confirmation(session, email="done@example.com", client_ip="1.2.3.4")
    accounts_signup.resend_confirmation(session, email="nobody@example.com", client_ip="1.2.3.4")
    assert len(_emails_to(session, "ada@example.com")) == 2
    assert _emails_to(session, "done@example.com") == []


# --- authenticate -------------------------------------------------------------------------------------------


def test_authenticate_by_email_or_handle_in_any_case(session: Session) -> None:
    user = make_user(session, email="who@example.com", handle="whoever")
    for login in ("who@example.com", " WHO@Example.com ", "whoever", "WhoEver"):
        assert (
            accounts_sessions.authenticate(session, login=login, password=PASSWORD, client_ip="1.1.1.1").id == user.id
        )


def test_the_app_hashes_passwords_with_the_recommended_argon2_parameters(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The suite hashes with tiny parameters (tests/passwords.py); the app's own hasher is pwdlib's recommended
    argon2id, and a login upgrades a hash made with other parameters to it."""
    monkeypatch.setattr(service, "password_hasher", passwords.PRODUCTION_PASSWORD_HASHER)
    hashed = service.password_hasher.hash(GOOD_PASSWORD)
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert service.password_hasher.verify(GOOD_PASSWORD, hashed)

    user = make_user(session, handle="cheaply_hashed")  # the factories' hash has the tiny parameters
    assert not user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert (
        accounts_sessions.authenticate(session, login="cheaply_hashed", password=PASSWORD, client_ip="1.1.1.1") == user
    )
    assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert service.password_hasher.verify(PASSWORD, user.password_hash)


def test_authenticate_gives_one_answer_for_unknown_login_and_wrong_password(session: Session) -> None:
    make_user(session, handle="known")
    with pytest.raises(Unauthorized) as unknown:
        accounts_sessions.authenticate(session, login="unknown", password=PASSWORD, client_ip="1.1.1.1")
    with pytest.raises(Unauthorized) as wrong:
        accounts_sessions.authenticate(session, login="known", password="wrong-password", client_ip="1.1.1.1")
    assert unknown.value.message == wrong.value.message == "That e-mail address or handle and password do not match."
    assert unknown.value.status_code == 401


def test_authenticate_refuses_closed_and_unconfirmed_accounts(session: Session) -> None:
    make_user(session, handle="closed", is_active=False)
    make_user(session, handle="unconfirmed", email_confirmed_at=None)
    with pytest.raises(Unauthorized, match=r"This account is closed\."):
        accounts_sessions.authenticate(session, login="closed", password=PASSWORD, client_ip="1.1.1.1")
    with pytest.raises(Unauthorized, match="Confirm your e-mail address first"):
        accounts_sessions.authenticate(session, login="unconfirmed", password=PASSWORD, client_ip="1.1.1.1")
    # A closed account's state is not revealed to someone without the password.
    with pytest.raises(Unauthorized, match="do not match"):
        accounts_sessions.authenticate(session, login="closed", password="wrong-password", client_ip="1.1.1.1")


def test_authenticate_needs_both_fields(session: Session) -> None:
    with pytest.raises(Invalid, match=r"Enter your e-mail address or handle, and your password\."):
        accounts_sessions.authenticate(session, login="  ", password="x", client_ip="1.1.1.1")
    with pytest.raises(Invalid):
        accounts_sessions.authenticate(session, login="someone", password="", client_ip="1.1.1.1")


# --- sessions -----------------------------------------------------------------------------------------------


def test_a_session_keeps_the_network_not_the_address_and_vote_integrity_still_sees_it(session: Session) -> None:
    user = make_user(session)
    accounts_sessions.start_session(
        session, user=user, ip_address="2001:db8:85a3:8d3:1319:8a2e:370:7348", user_agent="UA"
    )
    row = session.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert row.network == "2001:db8:85a3::/48"
    assert row.address_hash == fingerprints.address_hash("2001:db8:85a3:8d3:1319:8a2e:370:7348")
    # The ring detector's fingerprint of the login is still recorded, from the real address, keyed by network.
    (seen,) = session.exec(select(MemberFingerprint).where(MemberFingerprint.user_id == user.id)).all()
    assert seen.network_hash == fingerprints.network_hash("2001:db8:85a3:ffff::1")


def test_start_session_stores_only_the_hash_and_resolves_the_user(session: Session) -> None:
    user = make_user(session)
    token = accounts_sessions.start_session(
        session, user=user, ip_address="203.0.113.9", user_agent="Firefox " + "x" * 300
    )
    row = session.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert row.token_hash == service.hash_token(token)
    assert token not in row.token_hash
    # The address is kept coarse: its /24 network and a keyed hash, never the address itself.
    assert (row.network, row.address_hash) == ("203.0.113.0/24", fingerprints.address_hash("203.0.113.9"))
    assert "203.0.113.9" not in row.address_hash and len(row.address_hash) == 32
    assert fingerprints.address_hash("203.0.113.10") != row.address_hash
    assert len(row.user_agent) == 255
    assert row.expires_at - row.created_at == timedelta(days=get_settings().session_days)
    assert accounts_lookups.user_for_session_token(session, token=token).id == user.id  # type: ignore[union-attr]
    assert accounts_lookups.user_for_session_token(session, token="made-up") is None


def test_end_session_ends_only_that_session(session: Session) -> None:
    user = make_user(session)
    phone = accounts_sessions.start_session(session, user=user)
    laptop = accounts_sessions.start_session(session, user=user)
    accounts_sessions.end_session(session, token=phone)
    assert accounts_lookups.user_for_session_token(session, token=phone) is None
    assert accounts_lookups.user_for_session_token(session, token=laptop) is not None
    accounts_sessions.end_all_sessions(session, user=user)
    assert accounts_lookups.user_for_session_token(session, token=laptop) is None


def test_expired_sessions_and_closed_accounts_resolve_to_nobody(session: Session) -> None:
    user = make_user(session)
    token = accounts_sessions.start_session(session, user=user)
    row = session.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.flush()
    assert accounts_lookups.user_for_session_token(session, token=token) is None

    closed = make_user(session)
    closed_token = accounts_sessions.start_session(session, user=closed)
    closed.is_active = False
    session.add(closed)
    session.flush()
    assert accounts_lookups.user_for_session_token(session, token=closed_token) is None


def test_session_last_seen_is_touched_at_most_hourly(session: Session) -> None:
    user = make_user(session)
    token = accounts_sessions.start_session(session, user=user)
    row = session.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    recent = utcnow() - timedelta(minutes=5)
    row.last_seen_at = recent
    session.add(row)
    session.flush()
    accounts_lookups.user_for_session_token(session, token=token)
    session.refresh(row)
    assert row.last_seen_at == recent

    row.last_seen_at = utcnow() - timedelta(hours=2)
    session.add(row)
    session.flush()
    accounts_lookups.user_for_session_token(session, token=token)
    session.refresh(row)
    assert utcnow() - row.last_seen_at < timedelta(minutes=1)


# --- passwords ----------------------------------------------------------------------------------------------


def test_check_password_strength() -> None:
    assert service.check_password_strength("tangerine-kiosk-47") is None
    assert service.check_password_strength("short") == "Use at least 10 characters."
    assert service.check_password_strength("a" * 257) == "Use at most 256 characters."
    assert service.check_password_strength("password1234") == (
        "This is a very common password. Add another word or two. Uncommon words are better."
    )
    # What the person typed elsewhere makes a password guessable...
    assert service.check_password_strength("adalovelace1815") is None
    weakness = service.check_password_strength(
        "adalovelace1815", user_inputs=["adalovelace@example.com", "adalovelace"]
    )
    assert weakness == "This password would be easy to guess. Add another word or two. Uncommon words are better."
    # ...and empty inputs are ignored rather than breaking the check.
    assert service.check_password_strength("tangerine-kiosk-47", user_inputs=["", "someone"]) is None


def test_check_password_strength_follows_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "password_min_length", 20)
    assert service.check_password_strength("tangerine-kiosk-47") == "Use at least 20 characters."


def test_change_password_checks_the_current_one_and_ends_sessions(session: Session) -> None:
    user = make_user(session)
    token = accounts_sessions.start_session(session, user=user)
    with pytest.raises(Invalid) as error:
        accounts_passwords.change_password(
            session, user=user, current_password="nope", new_password="violet-harbour-32"
        )
    assert error.value.fields == {"current_password": "This is not your password."}
    assert accounts_lookups.user_for_session_token(session, token=token) is not None

    before = user.password_changed_at
    accounts_passwords.change_password(session, user=user, current_password=PASSWORD, new_password="violet-harbour-32")
    assert service.password_hasher.verify("violet-harbour-32", user.password_hash)
    assert user.password_changed_at > before
    assert accounts_lookups.user_for_session_token(session, token=token) is None


def test_reset_link_works_once_ends_sessions_and_confirms_the_address(session: Session) -> None:
    user = make_user(session, email="reset@example.com", email_confirmed_at=None)
    token = accounts_sessions.start_session(session, user=user)
    accounts_passwords.request_password_reset(session, email=" RESET@example.com", client_ip="1.1.1.1")
    reset = _link(_emails_to(session, "reset@example.com")[-1], "reset")
    assert accounts_passwords.user_for_reset_token(session, token=reset).id == user.id

    with pytest.raises(Invalid) as weak:
        accounts_passwords.reset_password(session, token=reset, new_password="short")
    assert weak.value.fields == {"password": "Use at least 10 characters."}

    accounts_passwords.reset_password(session, token=reset, new_password="violet-harbour-32")
    assert user.email_confirmed_at is not None
    assert accounts_lookups.user_for_session_token(session, token=token) is None
    with pytest.raises(Invalid, match="used already"):
        accounts_passwords.reset_password(session, token=reset, new_password="other-harbour-33")
    with pytest.raises(Invalid, match="not valid"):
        accounts_passwords.user_for_reset_token(session, token="forged")


def test_reset_link_expires(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    make_user(session, email="slow@example.com")
    accounts_passwords.request_password_reset(session, email="slow@example.com", client_ip="1.1.1.1")
    reset = _link(_emails_to(session, "slow@example.com")[-1], "reset")
    monkeypatch.setattr(get_settings(), "password_reset_minutes", -1)
    with pytest.raises(Invalid, match="expired"):
        accounts_passwords.user_for_reset_token(session, token=reset)


def test_reset_request_for_unknown_or_closed_accounts_sends_nothing(session: Session) -> None:
    make_user(session, email="closed@example.com", is_active=False)
    accounts_passwords.request_password_reset(session, email="nobody@example.com", client_ip="1.1.1.1")
    accounts_passwords.request_password_reset(session, email="closed@example.com", client_ip="1.1.1.1")
    assert session.exec(select(OutboxEmail)).all() == []
    with pytest.raises(Invalid):
        accounts_passwords.request_password_reset(session, email="", client_ip="1.1.1.1")


# --- profile ------------------------------------------------------------------------------------------------


def test_update_profile_trims_and_validates(session: Session) -> None:
    user = make_user(session)
    service.update_profile(session, user=user, display_name="  Ada  ", bio="  Hello  ")
    assert (user.display_name, user.bio) == ("Ada", "Hello")
    with pytest.raises(Invalid) as error:
        service.update_profile(session, user=user, display_name="x" * 81, bio="b" * 2001)
    assert error.value.fields == {
        "display_name": "Use at most 80 characters.",
        "bio": "Use at most 2,000 characters.",
    }
    with pytest.raises(Invalid) as empty:
        service.update_profile(session, user=user, display_name="   ", bio="")
    assert empty.value.fields == {"display_name": "Enter the name to show."}
    assert user.display_name == "Ada"


def test_get_user_by_handle(session: Session) -> None:
    user = make_user(session, handle="findme")
    make_user(session, handle="hidden", is_active=False)
    assert service.get_user_by_handle(session, handle="FindMe").id == user.id
    for handle in ("hidden", "missing"):
        with pytest.raises(NotFound):
            service.get_user_by_handle(session, handle=handle)


def test_create_user_is_confirmed_and_validated(session: Session) -> None:
    user = service.create_user(
        session, email="Admin2@Example.com", handle="boss", password=GOOD_PASSWORD, is_site_admin=True
    )
    assert user.is_confirmed and user.is_site_admin and user.email == "admin2@example.com"
    with pytest.raises(Invalid) as error:
        service.create_user(session, email="admin2@example.com", handle="boss", password=GOOD_PASSWORD)
    assert set(error.value.fields) == {"email", "handle"}


# --- invite_user --------------------------------------------------------------------------------------------


def test_invite_user_makes_a_handle_from_the_address(session: Session) -> None:
    user = accounts_passwords.invite_user(session, email="Jane.Doe@Example.com", reason="Welcome aboard.")
    assert user.handle == "jane_doe"
    assert user.display_name == "jane_doe"
    assert user.email == "jane.doe@example.com"
    assert user.email_confirmed_at is None
    # The random password is unknown to everyone: the invitation's reset link is the way in.
    with pytest.raises(Unauthorized, match="do not match"):
        accounts_sessions.authenticate(session, login="jane_doe", password="tangerine-kiosk-47", client_ip="1.1.1.1")


@pytest.mark.parametrize(
    ("email", "handle"),
    [
        ("José.Ñúñez@example.com", "jose_nunez"),
        ("jo@example.com", "jo_member"),
        ("x@example.com", "x_member"),
        ("+++@example.com", "member"),
        ("a-very-long-local-part-that-goes-on@example.com", "a_very_long_local_part_t"),
    ],
)
def test_invite_user_handle_shapes(session: Session, email: str, handle: str) -> None:
    user = accounts_passwords.invite_user(session, email=email, reason="Hello.")
    assert user.handle == handle
    assert service.HANDLE_PATTERN.match(user.handle)


def test_invite_user_avoids_taken_and_reserved_handles(session: Session) -> None:
    make_user(session, handle="jane")
    assert accounts_passwords.invite_user(session, email="jane@one.example", reason="r").handle == "jane2"
    assert accounts_passwords.invite_user(session, email="jane@two.example", reason="r").handle == "jane3"
    assert accounts_passwords.invite_user(session, email="admin@brand.example", reason="r").handle == "admin2"


def test_invite_user_sends_a_working_set_your_password_link(session: Session) -> None:
    user = accounts_passwords.invite_user(
        session,
        email="new@brand.example",
        display_name="  New Person ",
        reason="You have been added to Acme.",
    )
    assert user.display_name == "New Person"
    [email] = _emails_to(session, "new@brand.example")
    assert "You have been added to Acme." in email.body_text
    assert f"your handle is {user.handle}" in email.body_text
    token = _link(email, "reset")
    accounts_passwords.reset_password(session, token=token, new_password="violet-harbour-32")
    assert user.is_confirmed
    assert (
        accounts_sessions.authenticate(session, login=user.handle, password="violet-harbour-32", client_ip="1.1.1.1")
        == user
    )


# --- API tokens ---------------------------------------------------------------------------------------------


def test_api_token_is_stored_as_a_hash(session: Session) -> None:
    user = make_user(session)
    token, plain = accounts_tokens.create_api_token(session, user=user, name="  CRM sync ")
    assert plain.startswith(service.API_TOKEN_PREFIX)
    assert len(plain) > 40
    assert token.name == "CRM sync"
    assert token.prefix == plain[:12]
    stored = session.exec(select(ApiToken).where(col(ApiToken.id) == token.id)).one()
    assert stored.token_hash == service.hash_token(plain)
    assert plain not in (stored.token_hash, stored.prefix, stored.name)
    assert accounts_lookups.api_token_for(session, plain=plain)[0].id == user.id  # type: ignore[index]
    assert accounts_lookups.api_token_for(session, plain=plain + "x") is None
    assert accounts_lookups.api_token_for(session, plain=stored.token_hash) is None


def test_api_tokens_are_different_each_time(session: Session) -> None:
    user = make_user(session)
    plains = {accounts_tokens.create_api_token(session, user=user, name=f"t{n}")[1] for n in range(5)}
    assert len(plains) == 5


def test_api_token_needs_a_name(session: Session) -> None:
    user = make_user(session)
    for name in ("", "   ", "n" * 81):
        with pytest.raises(Invalid) as error:
            accounts_tokens.create_api_token(session, user=user, name=name)
        assert error.value.fields == {"name": "Name the token."}


def test_api_token_revocation_and_listing(session: Session) -> None:
    user = make_user(session)
    other = make_user(session)
    first, first_plain = accounts_tokens.create_api_token(session, user=user, name="first")
    accounts_tokens.create_api_token(session, user=user, name="second")
    theirs, _ = accounts_tokens.create_api_token(session, user=other, name="theirs")
    assert [t.name for t in accounts_tokens.list_api_tokens(session, user=user)] == ["second", "first"]

    accounts_tokens.revoke_api_token(session, user=user, token_id=first.id)  # type: ignore[arg-type]
    assert [t.name for t in accounts_tokens.list_api_tokens(session, user=user)] == ["second"]
    assert accounts_lookups.api_token_for(session, plain=first_plain) is None
    with pytest.raises(NotFound):
        accounts_tokens.revoke_api_token(session, user=user, token_id=first.id)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        accounts_tokens.revoke_api_token(session, user=user, token_id=theirs.id)  # type: ignore[arg-type]
    assert theirs.revoked_at is None


def test_api_token_of_a_closed_account_is_refused_and_use_is_recorded(session: Session) -> None:
    user = make_user(session)
    token, plain = accounts_tokens.create_api_token(session, user=user, name="t")
    assert token.last_used_at is None
    accounts_lookups.api_token_for(session, plain=plain)
    session.refresh(token)
    assert token.last_used_at is not None
    user.is_active = False
    session.add(user)
    session.flush()
    assert accounts_lookups.api_token_for(session, plain=plain) is None
