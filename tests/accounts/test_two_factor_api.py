"""Two-factor, re-authentication and token scope through the JSON API (httpx)."""

from datetime import timedelta

import pyotp
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts import tokens as accounts_tokens
from app.accounts import two_factor
from app.accounts.models import TokenScope, User, UserSession
from app.brands.models import StaffRole
from app.columns import utcnow
from tests.factories import PASSWORD, add_staff, csrf_token, field_errors, log_in, make_brand, make_user


def _bearer(plain: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plain}"}


def _enrol(session: Session, user: User) -> tuple[str, list[str]]:
    now = utcnow() - timedelta(minutes=2)
    setup = two_factor.start_two_factor_setup(user=user)
    codes = two_factor.enable_two_factor(
        session, user=user, setup_token=setup.setup_token, code=pyotp.TOTP(setup.secret).at(now), now=now
    )
    return setup.secret, codes


def test_enrol_through_the_api_then_log_in_with_a_code(client: TestClient, session: Session) -> None:
    user = make_user(session)
    log_in(client, session, user)
    headers = {"x-csrftoken": csrf_token(client)}

    setup = client.post("/api/v1/me/two-factor/setup", headers=headers)
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    wrong = client.post(
        "/api/v1/me/two-factor", json={"setup_token": setup.json()["setup_token"], "code": "000000"}, headers=headers
    )
    assert wrong.status_code == 422 and field_errors(wrong)["code"]
    enabled = client.post(
        "/api/v1/me/two-factor",
        json={"setup_token": setup.json()["setup_token"], "code": pyotp.TOTP(secret).now()},
        headers=headers,
    )
    assert enabled.status_code == 201, enabled.text
    codes = enabled.json()["recovery_codes"]
    assert len(codes) == 10
    status = client.get("/api/v1/me/two-factor").json()
    assert status["enabled"] and status["recovery_codes_left"] == 10 and status["required_because"] is None

    client.cookies.clear()
    without = client.post("/api/v1/auth/session", json={"login": user.handle, "password": PASSWORD})
    assert without.status_code == 401
    assert "two_factor" in without.json()["detail"] or "two-factor" in without.json()["detail"]
    assert "chorus_session" not in without.cookies
    recovered = client.post(
        "/api/v1/auth/session", json={"login": user.handle, "password": PASSWORD, "two_factor_code": codes[0]}
    )
    assert recovered.status_code == 200, recovered.text
    client.cookies.clear()
    again = client.post(
        "/api/v1/auth/session", json={"login": user.handle, "password": PASSWORD, "two_factor_code": codes[0]}
    )
    assert again.status_code == 401


def test_a_read_only_token_reads_but_never_writes(client: TestClient, session: Session) -> None:
    user = make_user(session)
    _, plain = accounts_tokens.create_api_token(session, user=user, name="dashboard", scope=TokenScope.read)
    assert client.get("/api/v1/me", headers=_bearer(plain)).status_code == 200
    refused = client.patch("/api/v1/me", json={"display_name": "Changed"}, headers=_bearer(plain))
    assert refused.status_code == 403
    assert "read-only" in refused.json()["detail"]
    deleted = client.delete("/api/v1/auth/session", headers=_bearer(plain))
    assert deleted.status_code == 403
    session.refresh(user)
    assert user.display_name != "Changed"


def test_an_expired_token_is_refused_with_a_clear_detail(client: TestClient, session: Session) -> None:
    user = make_user(session)
    _, plain = accounts_tokens.create_api_token(
        session, user=user, name="old", lifetime_days=7, now=utcnow() - timedelta(days=8)
    )
    refused = client.get("/api/v1/me", headers=_bearer(plain))
    assert refused.status_code == 401
    assert "expired" in refused.json()["detail"]


def test_making_a_token_needs_a_fresh_sign_in_or_the_password(client: TestClient, session: Session) -> None:
    user = make_user(session)
    _, plain = accounts_tokens.create_api_token(session, user=user, name="script")
    body = {"name": "another", "scope": "read", "lifetime_days": 30}

    refused = client.post("/api/v1/me/tokens", json=body, headers=_bearer(plain))
    assert refused.status_code == 403
    assert "current_password_or_code" in refused.json()["detail"]
    wrong = client.post(
        "/api/v1/me/tokens", json={**body, "current_password_or_code": "nope-nope-nope"}, headers=_bearer(plain)
    )
    assert wrong.status_code == 403 and "not right" in wrong.json()["detail"]
    made = client.post("/api/v1/me/tokens", json={**body, "current_password_or_code": PASSWORD}, headers=_bearer(plain))
    assert made.status_code == 201, made.text
    assert made.json()["scope"] == "read"
    assert made.json()["expires_at"] and made.json()["token"].startswith("chorus_")

    listed = client.get("/api/v1/me/tokens", headers=_bearer(plain)).json()
    assert {"scope", "expires_at", "last_used_at", "created_at"} <= set(listed[0])


def test_a_stale_browser_session_must_confirm_before_sensitive_changes(client: TestClient, session: Session) -> None:
    user = make_user(session)
    log_in(client, session, user)
    row = session.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    row.authenticated_at = utcnow() - timedelta(minutes=11)
    session.add(row)
    session.flush()
    headers = {"x-csrftoken": csrf_token(client)}

    refused = client.post("/api/v1/me/tokens", json={"name": "x"}, headers=headers)
    assert refused.status_code == 403
    made = client.post("/api/v1/me/tokens", json={"name": "x", "current_password_or_code": PASSWORD}, headers=headers)
    assert made.status_code == 201
    # Confirming counted as a fresh sign-in for this session.
    assert client.post("/api/v1/me/tokens", json={"name": "y"}, headers=headers).status_code == 201


def test_recovery_codes_and_turning_off_need_a_password_with_a_token(client: TestClient, session: Session) -> None:
    user = make_user(session)
    _, codes = _enrol(session, user)
    _, plain = accounts_tokens.create_api_token(session, user=user, name="script")
    assert client.post("/api/v1/me/two-factor/recovery-codes", json={}, headers=_bearer(plain)).status_code == 403
    fresh = client.post(
        "/api/v1/me/two-factor/recovery-codes", json={"current_password_or_code": PASSWORD}, headers=_bearer(plain)
    )
    assert fresh.status_code == 200 and set(fresh.json()["recovery_codes"]).isdisjoint(codes)

    assert client.post("/api/v1/me/two-factor/disable", json={}, headers=_bearer(plain)).status_code == 403
    off = client.post(
        "/api/v1/me/two-factor/disable", json={"current_password_or_code": PASSWORD}, headers=_bearer(plain)
    )
    assert off.status_code == 200
    session.refresh(user)
    assert not user.has_two_factor


def test_changing_the_password_revokes_the_token_that_asked(client: TestClient, session: Session) -> None:
    user = make_user(session)
    _, plain = accounts_tokens.create_api_token(session, user=user, name="script")
    changed = client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "password": "violet-harbour-32"},
        headers=_bearer(plain),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["revoked_tokens"] == 1
    assert client.get("/api/v1/me", headers=_bearer(plain)).status_code == 401


def test_a_brand_that_requires_two_factor_refuses_staff_without_it(client: TestClient, session: Session) -> None:
    brand = make_brand(session, require_staff_two_factor=True)
    manager, enrolled = make_user(session), make_user(session)
    add_staff(session, brand, manager, StaffRole.manager)
    add_staff(session, brand, enrolled, StaffRole.manager)
    _enrol(session, enrolled)
    _, plain = accounts_tokens.create_api_token(session, user=manager, name="script")
    refused = client.get(f"/api/v1/brands/{brand.slug}", headers=_bearer(plain))
    assert refused.status_code == 403
    assert "requires two-factor" in refused.json()["detail"]
    # Their own account stays open, so they can turn it on.
    assert client.get("/api/v1/me/two-factor", headers=_bearer(plain)).status_code == 200

    _, enrolled_plain = accounts_tokens.create_api_token(session, user=enrolled, name="script")
    assert client.get(f"/api/v1/brands/{brand.slug}", headers=_bearer(enrolled_plain)).status_code == 200


def test_the_policy_is_set_by_an_owner_with_two_factor(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    owner = make_user(session)
    add_staff(session, brand, owner, StaffRole.owner)
    _, plain = accounts_tokens.create_api_token(session, user=owner, name="script")
    url = f"/api/v1/brands/{brand.slug}/two-factor-policy"
    refused = client.put(url, json={"require_staff_two_factor": True}, headers=_bearer(plain))
    assert refused.status_code == 422 and "your own account first" in refused.json()["detail"]
    _enrol(session, owner)
    done = client.put(url, json={"require_staff_two_factor": True}, headers=_bearer(plain))
    assert done.status_code == 200 and done.json() == {"require_staff_two_factor": True}
    assert client.get(f"/api/v1/brands/{brand.slug}", headers=_bearer(plain)).json()["require_staff_two_factor"]


def test_admins_need_two_factor_when_the_site_requires_it(client: TestClient, session: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app.config import get_settings

    admin = make_user(session, is_site_admin=True)
    _, plain = accounts_tokens.create_api_token(session, user=admin, name="script")
    monkeypatch.setattr(get_settings(), "require_admin_2fa", True)
    refused = client.get("/api/v1/admin/brands", headers=_bearer(plain))
    assert refused.status_code == 403
    assert "Site administrators must" in refused.json()["detail"]
    monkeypatch.setattr(get_settings(), "require_admin_2fa", False)
    assert client.get("/api/v1/admin/brands", headers=_bearer(plain)).status_code == 200
