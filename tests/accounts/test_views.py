"""The account pages through the browser's eyes: forms, redirects, cookies and what the pages say."""

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, func, select

from app.accounts import lookups as accounts_lookups
from app.accounts import service as accounts_service
from app.accounts import sessions as accounts_sessions
from app.accounts import tokens as accounts_tokens
from app.accounts.models import ApiToken, User, UserSession
from app.communities.models import Visibility
from app.config import get_settings
from app.notifications.models import OutboxEmail
from tests.factories import PASSWORD, add_member, csrf_token, log_in, make_community, make_user

NEW_PASSWORD = "violet-harbour-32"


def _post(client: TestClient, url: str, data: dict[str, str], **kwargs: object) -> Response:
    """Submit a form as the page would: with the CSRF token of the client's cookie."""
    return client.post(url, data={**data, "csrftoken": csrf_token(client)}, **kwargs)  # type: ignore[arg-type]


def _count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def _last_link(session: Session, address: str, path: str) -> str:
    email = session.exec(
        select(OutboxEmail).where(OutboxEmail.to_address == address).order_by(OutboxEmail.id.desc())  # type: ignore[union-attr]
    ).first()
    assert email is not None, f"no e-mail to {address}"
    match = re.search(rf"http://testserver/{path}/(\S+)", email.body_text)
    assert match, email.body_text
    return match.group(1)


def _set_cookie(response: Response, name: str) -> str:
    return next(header for header in response.headers.get_list("set-cookie") if header.startswith(f"{name}="))


def _field_error(html: str, field: str) -> str:
    """The error text shown under a field, checking it is tied to the input for screen readers."""
    tag = re.search(rf'<input id="{field}"[^>]*>', html)
    assert tag, f"no input {field}"
    assert 'aria-describedby="' in tag.group(0) and f"{field}-error" in tag.group(0), tag.group(0)
    assert 'aria-invalid="true"' in tag.group(0)
    message = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    assert message, f"no error for {field}"
    return message.group(1)


# --- Sign-up


def test_signup_page_renders_the_form(client: TestClient) -> None:
    page = client.get("/signup")
    assert page.status_code == 200
    assert '<form method="post" action="/signup"' in page.text
    assert 'name="csrftoken"' in page.text


def test_sign_up_shows_check_your_inbox_and_sends_the_link(client: TestClient, session: Session) -> None:
    response = _post(
        client,
        "/signup",
        {
            "email": " Ada@Example.com ",
            "handle": "Ada_L",
            "display_name": "Ada",
            "password": "copper-lantern-91",
        },
    )
    assert response.status_code == 200
    assert "Check your inbox" in response.text
    assert "ada@example.com" in response.text
    user = session.exec(select(User).where(User.handle == "ada_l")).one()
    assert user.email == "ada@example.com"
    assert user.email_confirmed_at is None
    assert _last_link(session, "ada@example.com", "confirm")
    assert "chorus_session" not in response.cookies  # signing up does not log in before confirmation


def test_bad_sign_up_re_renders_the_form_with_errors_and_writes_nothing(client: TestClient, session: Session) -> None:
    users_before = _count(session, User)
    emails_before = _count(session, OutboxEmail)
    response = _post(
        client,
        "/signup",
        {"email": "not-an-address", "handle": "Bad Handle!", "display_name": "", "password": "short"},
    )
    assert response.status_code == 422
    assert "Please correct the marked fields." in response.text
    assert _field_error(response.text, "email") == "Enter an e-mail address like name@example.com."
    assert _field_error(response.text, "handle") == "Use 3 to 30 lower-case letters, digits or underscores."
    assert _field_error(response.text, "password") == "Use at least 10 characters."
    # What was typed is kept (the password is not sent back).
    assert 'value="not-an-address"' in response.text
    assert 'value="Bad Handle!"' in response.text
    assert 'value="short"' not in response.text
    assert _count(session, User) == users_before
    assert _count(session, OutboxEmail) == emails_before


def test_sign_up_with_a_taken_address_and_handle_says_so(client: TestClient, session: Session) -> None:
    make_user(session, email="taken@example.com", handle="taken")
    users_before = _count(session, User)
    response = _post(
        client, "/signup", {"email": "TAKEN@example.com", "handle": "Taken", "password": "copper-lantern-91"}
    )
    assert response.status_code == 422
    assert "exists already" in _field_error(response.text, "email")
    assert "taken" in _field_error(response.text, "handle")
    assert 'value="TAKEN@example.com"' in response.text
    assert _count(session, User) == users_before


def test_logged_in_people_are_sent_home_from_signup(client: TestClient, session: Session) -> None:
    log_in(client, session, make_user(session))
    response = client.get("/signup", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


# --- Confirmation -------------------------------------------------------------------------------------------


def _sign_up(client: TestClient, email: str, handle: str) -> None:
    response = _post(client, "/signup", {"email": email, "handle": handle, "password": "copper-lantern-91"})
    assert response.status_code == 200, response.text


def test_confirm_link_confirms_and_signs_the_member_in(client: TestClient, session: Session) -> None:
    _sign_up(client, "grace@example.com", "grace")
    token = _last_link(session, "grace@example.com", "confirm")
    response = client.get(f"/confirm/{token}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert "chorus_session=" in _set_cookie(response, "chorus_session")
    user = session.exec(select(User).where(User.handle == "grace")).one()
    session.refresh(user)
    assert user.email_confirmed_at is not None
    assert session.exec(select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id)).one() == 1

    home = client.get("/")
    assert "Your e-mail address is confirmed." in home.text
    assert '<a href="/u/grace">Profile</a>' in home.text  # signed in, as after logging in
    assert "Your e-mail address is confirmed" not in client.get("/").text  # the message is shown once

    # Following the link again, signed in, just goes on; signed out, it signs nobody in: it is no login key.
    again = client.get(f"/confirm/{token}", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/"
    client.cookies.clear()
    stranger = client.get(f"/confirm/{token}", follow_redirects=False)
    assert stranger.status_code == 303 and stranger.headers["location"] == "/login?next=/"
    assert "chorus_session" not in stranger.cookies
    assert "confirmed already. Log in to continue." in client.get("/login").text
    assert session.exec(select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id)).one() == 1


def test_confirming_leads_on_to_where_the_member_was_going(client: TestClient, session: Session) -> None:
    login_page = client.get("/login", params={"next": "/designs/7"})
    assert 'href="/signup?next=/designs/7"' in login_page.text
    signup_page = client.get("/signup", params={"next": "/designs/7"})
    assert '<input type="hidden" name="next" value="/designs/7">' in signup_page.text
    data = {"email": "lin@example.com", "handle": "lin", "password": "copper-lantern-91", "next": "/designs/7"}
    assert _post(client, "/signup", data).status_code == 200
    link = _last_link(session, "lin@example.com", "confirm")
    assert link.endswith("?next=/designs/7")
    response = client.get(f"/confirm/{link}", follow_redirects=False)
    assert response.headers["location"] == "/designs/7"
    assert "chorus_session=" in _set_cookie(response, "chorus_session")

    # Only local paths: a crafted link does not send anyone to another site.
    _sign_up(client, "max@example.com", "max")
    token = _last_link(session, "max@example.com", "confirm")
    client.cookies.clear()
    crafted = client.get(f"/confirm/{token}", params={"next": "//evil.example"}, follow_redirects=False)
    assert crafted.headers["location"] == "/"


def test_forged_confirm_link_is_a_400_page(client: TestClient, session: Session) -> None:
    _sign_up(client, "forger@example.com", "forger")
    token = _last_link(session, "forger@example.com", "confirm")
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    response = client.get(f"/confirm/{forged}")
    assert response.status_code == 400
    assert "This link does not work" in response.text
    assert "not valid" in response.text
    assert 'href="/confirm/resend"' in response.text
    user = session.exec(select(User).where(User.handle == "forger")).one()
    session.refresh(user)
    assert user.email_confirmed_at is None


def test_expired_confirm_link_is_a_400_page(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sign_up(client, "late@example.com", "latecomer")
    token = _last_link(session, "late@example.com", "confirm")
    monkeypatch.setattr(get_settings(), "confirm_email_hours", -1)
    response = client.get(f"/confirm/{token}")
    assert response.status_code == 400
    assert "This confirmation link has expired" in response.text
    user = session.exec(select(User).where(User.handle == "latecomer")).one()
    session.refresh(user)
    assert user.email_confirmed_at is None


def test_resend_confirmation_page_sends_a_new_link(client: TestClient, session: Session) -> None:
    _sign_up(client, "again@example.com", "again")
    before = _count(session, OutboxEmail)
    response = _post(client, "/confirm/resend", {"email": "Again@Example.com"})
    assert response.status_code == 200
    assert "we sent it a new link" in response.text
    assert _count(session, OutboxEmail) == before + 1
    # An unknown address gets the same answer and no e-mail.
    unknown = _post(client, "/confirm/resend", {"email": "nobody@example.com"})
    assert unknown.status_code == 200
    assert _count(session, OutboxEmail) == before + 1


# --- Log in -------------------------------------------------------------------------------------------------


def test_login_with_wrong_password_is_401_with_the_form_again(client: TestClient, session: Session) -> None:
    make_user(session, handle="lovelace")
    response = _post(client, "/login", {"login": "lovelace", "password": "not-the-password", "next": "/settings"})
    assert response.status_code == 401
    assert "That e-mail address or handle and password do not match." in response.text
    assert '<form method="post" action="/login"' in response.text
    assert 'value="lovelace"' in response.text
    assert 'value="not-the-password"' not in response.text
    assert 'name="next" value="/settings"' in response.text
    assert "chorus_session" not in response.cookies


def test_login_with_empty_fields_is_refused(client: TestClient) -> None:
    response = _post(client, "/login", {"login": "", "password": ""})
    assert response.status_code == 422
    assert "Enter your e-mail address or handle, and your password." in response.text


def test_unconfirmed_account_cannot_log_in(client: TestClient, session: Session) -> None:
    make_user(session, handle="pending", email_confirmed_at=None)
    response = _post(client, "/login", {"login": "pending", "password": PASSWORD})
    assert response.status_code == 401
    assert "Confirm your e-mail address first" in response.text
    assert 'href="/confirm/resend"' in response.text
    assert "chorus_session" not in response.cookies
    assert _count(session, UserSession) == 0


def test_closed_account_cannot_log_in(client: TestClient, session: Session) -> None:
    make_user(session, handle="closed", is_active=False)
    response = _post(client, "/login", {"login": "closed", "password": PASSWORD})
    assert response.status_code == 401
    assert "This account is closed." in response.text


def test_login_sets_a_safe_session_cookie_and_follows_next(client: TestClient, session: Session) -> None:
    user = make_user(session, handle="hopper", display_name="Grace Hopper")
    response = _post(
        client,
        "/login",
        {"login": "HOPPER", "password": PASSWORD, "next": "/settings/tokens"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/settings/tokens"
    cookie = _set_cookie(response, "chorus_session")
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert f"Max-Age={get_settings().session_days * 86400}" in cookie
    assert ("Secure" in cookie) == get_settings().cookie_secure
    row = session.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert row.user_agent == "testclient"

    page = client.get("/settings/tokens")
    assert page.status_code == 200
    assert "Welcome back, Grace Hopper." in page.text


@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com/", "/\\evil.com", "evil.com"])
def test_login_ignores_an_external_next(client: TestClient, session: Session, target: str) -> None:
    make_user(session, handle="careful")
    response = _post(
        client, "/login", {"login": "careful", "password": PASSWORD, "next": target}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_login_page_neutralises_an_external_next(client: TestClient) -> None:
    page = client.get("/login?next=//evil.com")
    assert 'name="next" value="/"' in page.text
    local = client.get("/login?next=/c/somewhere")
    assert 'name="next" value="/c/somewhere"' in local.text


def test_logged_in_people_are_sent_on_from_the_login_page(client: TestClient, session: Session) -> None:
    log_in(client, session, make_user(session))
    response = client.get("/login?next=//evil.com", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    response = client.get("/login?next=/settings", follow_redirects=False)
    assert response.headers["location"] == "/settings"


# --- Log out ------------------------------------------------------------------------------------------------


def test_logout_deletes_the_session_so_the_old_cookie_stops_working(client: TestClient, session: Session) -> None:
    user = make_user(session)
    log_in(client, session, user)
    old_cookie = client.cookies["chorus_session"]
    assert client.get("/settings").status_code == 200
    assert _count(session, UserSession) == 1

    response = _post(client, "/logout", {}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert 'chorus_session=""' in _set_cookie(response, "chorus_session")
    assert session.exec(select(UserSession).where(UserSession.user_id == user.id)).first() is None

    # Someone who kept a copy of the cookie gets nothing from it.
    client.cookies.set("chorus_session", old_cookie)
    replay = client.get("/settings", follow_redirects=False)
    assert replay.status_code == 303
    assert replay.headers["location"] == "/login?next=/settings"
    assert client.get("/api/v1/me").status_code == 401


def test_logout_needs_a_csrf_token(client: TestClient, session: Session) -> None:
    log_in(client, session, make_user(session))
    csrf_token(client)
    response = client.post("/logout", follow_redirects=False)
    assert response.status_code == 403
    assert _count(session, UserSession) == 1


# --- Password reset -----------------------------------------------------------------------------------------


def test_password_reset_through_the_pages_works_once(client: TestClient, session: Session) -> None:
    user = make_user(session, email="forgetful@example.com", handle="forgetful")
    other_device = accounts_sessions.start_session(session, user=user)

    page = client.get("/reset")
    assert page.status_code == 200
    sent = _post(client, "/reset", {"email": "Forgetful@Example.com"})
    assert sent.status_code == 200
    assert "a link to choose a new password is on its way" in sent.text
    token = _last_link(session, "forgetful@example.com", "reset")

    form = client.get(f"/reset/{token}")
    assert form.status_code == 200
    assert "Choose a new password" in form.text
    assert 'value="forgetful"' in form.text  # the hidden username, for password managers

    weak = _post(client, f"/reset/{token}", {"password": "short"})
    assert weak.status_code == 422
    assert _field_error(weak.text, "password") == "Use at least 10 characters."

    done = _post(client, f"/reset/{token}", {"password": NEW_PASSWORD}, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == "/login"
    assert accounts_lookups.user_for_session_token(session, token=other_device) is None

    # The link is spent: both the page and the form refuse it now.
    used_page = client.get(f"/reset/{token}")
    assert used_page.status_code == 400
    assert "used already" in used_page.text
    used_post = _post(client, f"/reset/{token}", {"password": "another-harbour-77"})
    assert used_post.status_code == 400
    assert "used already" in used_post.text

    old = _post(client, "/login", {"login": "forgetful", "password": PASSWORD})
    assert old.status_code == 401
    new = _post(client, "/login", {"login": "forgetful", "password": NEW_PASSWORD}, follow_redirects=False)
    assert new.status_code == 303


def test_password_reset_for_an_unknown_address_looks_the_same(client: TestClient, session: Session) -> None:
    before = _count(session, OutboxEmail)
    response = _post(client, "/reset", {"email": "nobody@example.com"})
    assert response.status_code == 200
    assert "If an account has the address" in response.text
    assert _count(session, OutboxEmail) == before


def test_password_reset_needs_an_address(client: TestClient) -> None:
    response = _post(client, "/reset", {"email": "  "})
    assert response.status_code == 422
    assert _field_error(response.text, "email") == "Enter your e-mail address."


def test_forged_reset_link_is_a_400_page(client: TestClient) -> None:
    response = client.get("/reset/forged-token")
    assert response.status_code == 400
    assert "This reset link is not valid" in response.text
    posted = _post(client, "/reset/forged-token", {"password": NEW_PASSWORD})
    assert posted.status_code == 400


# --- Settings -----------------------------------------------------------------------------------------------


def test_settings_need_a_login(client: TestClient) -> None:
    response = client.get("/settings", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/settings"


def test_profile_update_is_saved_and_shown(client: TestClient, session: Session) -> None:
    user = make_user(session, handle="editor", display_name="Old Name")
    log_in(client, session, user)
    page = client.get("/settings")
    assert page.status_code == 200
    assert 'value="Old Name"' in page.text

    response = _post(
        client,
        "/settings",
        {"display_name": "  New Name ", "bio": "I like **bold** ideas."},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/u/editor"
    session.refresh(user)
    assert user.display_name == "New Name"
    assert user.bio == "I like **bold** ideas."

    profile = client.get("/u/editor")
    assert "Your profile is saved." in profile.text
    assert "<strong>bold</strong>" in profile.text


def test_invalid_profile_update_keeps_the_form_and_the_old_values(client: TestClient, session: Session) -> None:
    user = make_user(session, display_name="Kept")
    log_in(client, session, user)
    response = _post(client, "/settings", {"display_name": "   ", "bio": "b" * 2001})
    assert response.status_code == 422
    assert _field_error(response.text, "display_name") == "Enter the name to show."
    assert 'id="bio-error">Use at most 2,000 characters.' in response.text
    session.refresh(user)
    assert user.display_name == "Kept"
    assert user.bio == ""


def test_password_change_ends_other_sessions_but_keeps_this_one(client: TestClient, session: Session) -> None:
    user = make_user(session, handle="changer")
    other_device = accounts_sessions.start_session(session, user=user)
    logged_in = _post(client, "/login", {"login": "changer", "password": PASSWORD}, follow_redirects=False)
    this_device = logged_in.cookies["chorus_session"]

    response = _post(
        client,
        "/settings/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/settings"
    assert accounts_lookups.user_for_session_token(session, token=other_device) is None
    new_cookie = _set_cookie(response, "chorus_session")
    assert "HttpOnly" in new_cookie
    assert this_device not in new_cookie
    # This browser stays logged in with its fresh session...
    page = client.get("/settings")
    assert page.status_code == 200
    assert "your other devices are logged out" in page.text
    assert _count(session, UserSession) == 1
    session.refresh(user)
    assert accounts_service.password_hasher.verify(NEW_PASSWORD, user.password_hash)
    # ...while its old cookie is as dead as the other device's.
    with TestClient(client.app) as old_browser:
        old_browser.cookies.set("chorus_session", this_device)
        assert old_browser.get("/api/v1/me").status_code == 401


def test_password_change_with_the_wrong_current_password_is_refused(client: TestClient, session: Session) -> None:
    user = make_user(session)
    other_device = accounts_sessions.start_session(session, user=user)
    log_in(client, session, user)
    response = _post(client, "/settings/password", {"current_password": "wrong-one-123", "password": NEW_PASSWORD})
    assert response.status_code == 422
    assert _field_error(response.text, "current_password") == "This is not your password."
    # The profile form beside it shows no error.
    assert "display_name-error" not in response.text
    assert accounts_lookups.user_for_session_token(session, token=other_device) is not None
    session.refresh(user)
    assert accounts_service.password_hasher.verify(PASSWORD, user.password_hash)


def test_password_change_refuses_a_weak_new_password(client: TestClient, session: Session) -> None:
    user = make_user(session, handle="weakling")
    log_in(client, session, user)
    response = _post(client, "/settings/password", {"current_password": PASSWORD, "password": "weakling12345"})
    assert response.status_code == 422
    assert _field_error(response.text, "password")
    session.refresh(user)
    assert accounts_service.password_hasher.verify(PASSWORD, user.password_hash)


# --- API tokens page ----------------------------------------------------------------------------------------


def test_tokens_page_full_for_browsers_fragment_for_htmx(client: TestClient, session: Session) -> None:
    user = make_user(session)
    accounts_tokens.create_api_token(session, user=user, name="Nightly export")
    log_in(client, session, user)

    full = client.get("/settings/tokens")
    assert full.status_code == 200
    assert "<html" in full.text and '<header class="site-header">' in full.text
    assert "Nightly export" in full.text

    fragment = client.get("/settings/tokens", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "site-header" not in fragment.text
    assert "<h2>Personal API tokens</h2>" in fragment.text
    assert "Nightly export" in fragment.text

    # A boosted link is a whole-page navigation: it gets the whole page.
    boosted = client.get("/settings/tokens", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.text


def test_creating_a_token_shows_it_once_and_stores_only_its_hash(client: TestClient, session: Session) -> None:
    user = make_user(session)
    log_in(client, session, user)
    response = _post(client, "/settings/tokens", {"name": "CRM sync"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text
    match = re.search(r'id="new-token" class="token-value" readonly value="([^"]+)"', response.text)
    assert match
    plain = match.group(1)
    stored = session.exec(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert stored.token_hash == accounts_service.hash_token(plain) != plain
    assert plain not in client.get("/settings/tokens").text

    bearer = TestClient(client.app)
    assert bearer.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).json()["handle"] == user.handle


def test_creating_a_token_without_a_name_shows_the_error(client: TestClient, session: Session) -> None:
    user = make_user(session)
    log_in(client, session, user)
    response = _post(client, "/settings/tokens", {"name": "  "}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "<html" not in response.text
    assert _field_error(response.text, "name") == "Name the token."
    assert _count(session, ApiToken) == 0


def test_revoking_a_token_from_the_page(client: TestClient, session: Session) -> None:
    user = make_user(session)
    token, plain = accounts_tokens.create_api_token(session, user=user, name="Old script")
    log_in(client, session, user)
    response = _post(client, f"/settings/tokens/{token.id}/revoke", {}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "The token is revoked." in response.text
    assert "Old script" not in response.text
    assert accounts_lookups.api_token_for(session, plain=plain) is None

    # Someone else's token is not found, and stays valid.
    stranger = make_user(session)
    theirs, their_plain = accounts_tokens.create_api_token(session, user=stranger, name="Theirs")
    refused = _post(client, f"/settings/tokens/{theirs.id}/revoke", {})
    assert refused.status_code == 404
    assert accounts_lookups.api_token_for(session, plain=their_plain) is not None


# --- Profile page -------------------------------------------------------------------------------------------


def test_profile_page_shows_the_member_and_public_communities(client: TestClient, session: Session) -> None:
    member = make_user(session, handle="profiled", display_name="Pro Filed", bio="Loves _linen_.")
    public = make_community(session, name="Open Circle")
    hidden = make_community(session, name="Secret Circle", visibility=Visibility.invite_only)
    add_member(session, public, member)
    add_member(session, hidden, member)

    page = client.get("/u/PROFILED")
    assert page.status_code == 200
    assert "<h1>Pro Filed</h1>" in page.text
    assert "@profiled" in page.text
    assert "<em>linen</em>" in page.text
    assert "Open Circle" in page.text
    assert "Secret Circle" not in page.text
    assert "Edit profile" not in page.text

    # The member sees their own invite-only community, and the edit button.
    log_in(client, session, member)
    own = client.get("/u/profiled")
    assert "Secret Circle" in own.text
    assert "Edit profile" in own.text


def test_unknown_or_closed_profile_is_404(client: TestClient, session: Session) -> None:
    make_user(session, handle="gone", is_active=False)
    for handle in ("nobody_at_all", "gone"):
        response = client.get(f"/u/{handle}")
        assert response.status_code == 404
        assert '<header class="site-header">' in response.text


def test_profile_shows_when_the_member_joined(client: TestClient, session: Session) -> None:
    """A sanity check of the "member since" line, which formats the creation date."""
    make_user(session, handle="dated", created_at=datetime(2024, 3, 5, 12, 0, tzinfo=UTC))
    page = client.get("/u/dated")
    assert "member since March 2024" in page.text
