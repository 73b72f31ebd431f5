"""Two-factor pages: the code step of logging in, the recovery code, enrolment, re-authentication on the tokens page
and a brand's policy sending staff to enrol."""

import re
from datetime import timedelta

import pyotp
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, select

from app.accounts import two_factor
from app.accounts.models import ApiToken, User, UserSession
from app.brands.models import StaffRole
from app.columns import utcnow
from tests.factories import PASSWORD, add_staff, csrf_token, log_in, make_brand, make_user


def _post(client: TestClient, url: str, data: dict[str, str], **kwargs: object) -> Response:
    kwargs.setdefault("follow_redirects", False)
    return client.post(url, data={**data, "csrftoken": csrf_token(client)}, **kwargs)  # type: ignore[arg-type]


def _enrol(session: Session, user: User) -> tuple[str, list[str]]:
    now = utcnow() - timedelta(minutes=2)
    setup = two_factor.start_two_factor_setup(user=user)
    codes = two_factor.enable_two_factor(
        session, user=user, setup_token=setup.setup_token, code=pyotp.TOTP(setup.secret).at(now), now=now
    )
    return setup.secret, codes


def _password_step(client: TestClient, user: User, next_path: str = "/settings") -> Response:
    return _post(client, "/login", {"login": user.email, "password": PASSWORD, "next": next_path})


def test_the_password_alone_only_reaches_the_code_page(client: TestClient, session: Session) -> None:
    user = make_user(session)
    secret, _ = _enrol(session, user)
    response = _password_step(client, user)
    assert response.status_code == 303
    assert response.headers["location"] == "/login/two-factor?next=/settings"
    assert "chorus_session" not in client.cookies
    # Half signed in grants nothing else.
    assert client.get("/settings", follow_redirects=False).headers["location"].startswith("/login")
    assert client.get("/api/v1/me").status_code == 401

    page = client.get("/login/two-factor?next=/settings")
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page.text and "/login/recovery" in page.text

    wrong = _post(client, "/login/two-factor", {"code": "12345x", "next": "/settings"})
    assert wrong.status_code == 401 and "not right" in wrong.text
    done = _post(client, "/login/two-factor", {"code": pyotp.TOTP(secret).now(), "next": "/settings"})
    assert done.status_code == 303 and done.headers["location"] == "/settings"
    assert "chorus_session" in client.cookies
    assert client.get("/settings").status_code == 200


def test_a_recovery_code_signs_in_once_and_the_page_says_what_to_do_without_one(
    client: TestClient, session: Session
) -> None:
    user = make_user(session)
    _, codes = _enrol(session, user)
    _password_step(client, user, "/")
    page = client.get("/login/recovery")
    assert page.status_code == 200
    assert "No recovery code either?" in page.text
    done = _post(client, "/login/recovery", {"code": codes[3], "next": "/"})
    assert done.status_code == 303
    assert "chorus_session" in client.cookies

    client.cookies.clear()
    _password_step(client, user, "/")
    again = _post(client, "/login/recovery", {"code": codes[3], "next": "/"})
    assert again.status_code == 401


def test_the_code_pages_need_the_password_step_first(client: TestClient, session: Session) -> None:
    for path in ("/login/two-factor", "/login/recovery"):
        response = client.get(path)
        assert response.status_code == 400 and "Log in with your password first" in response.text
    refused = _post(client, "/login/two-factor", {"code": "123456"})
    assert refused.status_code == 400 and "chorus_session" not in client.cookies


def test_enrol_on_the_settings_page(client: TestClient, session: Session) -> None:
    user = make_user(session)
    log_in(client, session, user)
    page = client.get("/settings/two-factor")
    assert page.status_code == 200
    assert '<img src="data:image/svg+xml' in page.text
    secret = re.search(r'<code id="totp-secret"[^>]*>([A-Z2-7 ]+)</code>', page.text).group(1).replace(" ", "")  # type: ignore[union-attr]
    setup_token = re.search(r'name="setup_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    assert 'name="current_password_or_code"' not in page.text  # a fresh sign-in

    wrong = _post(client, "/settings/two-factor", {"setup_token": setup_token, "code": "000000"})
    assert wrong.status_code == 422 and "does not match" in wrong.text
    assert setup_token in wrong.text  # the same QR code again
    done = _post(client, "/settings/two-factor", {"setup_token": setup_token, "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    assert "shown this once" in done.text
    assert len(re.findall(r"<li><code>[a-z0-9]{5}-[a-z0-9]{5}</code></li>", done.text)) == 10
    session.refresh(user)
    assert user.has_two_factor

    status = client.get("/settings/two-factor")
    assert "is on" in status.text and "<strong>10</strong> unused recovery codes" in status.text


def test_a_stale_session_is_asked_for_the_password_on_the_tokens_page(client: TestClient, session: Session) -> None:
    user = make_user(session)
    log_in(client, session, user)
    row = session.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    row.authenticated_at = utcnow() - timedelta(minutes=30)
    session.add(row)
    session.flush()

    page = client.get("/settings/tokens")
    assert 'name="current_password_or_code"' in page.text
    refused = _post(client, "/settings/tokens", {"name": "CI", "scope": "read", "lifetime_days": "30"})
    assert refused.status_code == 403 and "Confirm it is you" in refused.text
    assert session.exec(select(ApiToken).where(ApiToken.user_id == user.id)).first() is None

    made = _post(
        client,
        "/settings/tokens",
        {"name": "CI", "scope": "read", "lifetime_days": "30", "current_password_or_code": PASSWORD},
        headers={"HX-Request": "true"},
    )
    assert made.status_code == 200
    assert "<html" not in made.text and "Copy your new token now" in made.text
    assert "read only" in made.text
    token = session.exec(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert (token.expires_at - token.created_at).days == 30


def test_changing_the_password_tells_how_many_tokens_died(client: TestClient, session: Session) -> None:
    from app.accounts import tokens as accounts_tokens

    user = make_user(session)
    accounts_tokens.create_api_token(session, user=user, name="script")
    log_in(client, session, user)
    response = _post(client, "/settings/password", {"current_password": PASSWORD, "password": "violet-harbour-32"})
    assert response.status_code == 303
    page = client.get("/settings")
    assert "your 1 API token revoked" in page.text


def test_a_brand_requiring_two_factor_sends_its_staff_to_enrol(client: TestClient, session: Session) -> None:
    brand = make_brand(session, require_staff_two_factor=True)
    manager = make_user(session)
    add_staff(session, brand, manager, StaffRole.owner)
    log_in(client, session, manager)
    response = client.get(f"/brands/{brand.slug}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/settings/two-factor?next=/brands/{brand.slug}"
    htmx = client.get(f"/brands/{brand.slug}/staff", headers={"HX-Request": "true"})
    assert htmx.status_code == 403 and htmx.headers["HX-Redirect"].startswith("/settings/two-factor")
    page = client.get(response.headers["location"])
    assert "You need it" in page.text and brand.name in page.text

    _enrol(session, manager)
    assert client.get(f"/brands/{brand.slug}").status_code == 200
    staff = client.get(f"/brands/{brand.slug}/staff")
    assert "Require two-factor authentication of all staff" in staff.text
    turned_off = _post(client, f"/brands/{brand.slug}/staff/two-factor", {})
    assert turned_off.status_code == 303
    session.refresh(brand)
    assert not brand.require_staff_two_factor
