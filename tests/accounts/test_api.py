"""The accounts JSON API through httpx: sign-up, confirmation, session login/logout, reset, tokens."""

import re

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import User
from app.notifications.models import OutboxEmail
from tests.factories import PASSWORD, field_errors, make_user


def _last_link(session: Session, address: str, path: str) -> str:
    email = session.exec(
        select(OutboxEmail).where(OutboxEmail.to_address == address).order_by(OutboxEmail.id.desc())  # type: ignore[union-attr]
    ).first()
    assert email is not None, f"no e-mail to {address}"
    match = re.search(rf"http://testserver/{path}/(\S+)", email.body_text)
    assert match, email.body_text
    return match.group(1)


def test_sign_up_confirm_log_in_and_out(client: TestClient, session: Session) -> None:
    response = client.post(
        "/api/v1/users", json={"email": "Ada@Example.com", "handle": "ada", "password": "copper-lantern-91"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["email"] == "ada@example.com"
    assert response.json()["email_confirmed_at"] is None

    refused = client.post("/api/v1/auth/session", json={"login": "ada", "password": "copper-lantern-91"})
    assert refused.status_code == 401
    assert "Confirm your e-mail" in refused.json()["detail"]

    token = _last_link(session, "ada@example.com", "confirm")
    confirmed = client.post("/api/v1/auth/confirm", json={"token": token})
    assert confirmed.status_code == 200
    assert confirmed.json()["email_confirmed_at"] is not None

    logged_in = client.post("/api/v1/auth/session", json={"login": "ADA@example.com", "password": "copper-lantern-91"})
    assert logged_in.status_code == 200
    assert client.get("/api/v1/me").json()["handle"] == "ada"

    csrf = client.cookies.get("csrftoken") or (client.get("/login") and client.cookies["csrftoken"])
    assert client.delete("/api/v1/auth/session", headers={"x-csrftoken": csrf}).status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_sign_up_rejects_duplicates_and_weak_passwords(client: TestClient, session: Session) -> None:
    make_user(session, email="taken@example.com", handle="taken")
    response = client.post(
        "/api/v1/users", json={"email": "TAKEN@example.com", "handle": "Taken", "password": "password123"}
    )
    assert response.status_code == 422
    errors = field_errors(response)
    assert "exists already" in errors["email"]
    assert "taken" in errors["handle"]
    assert errors["password"]
    assert session.exec(select(User).where(User.handle == "taken")).one()


def test_wrong_types_and_missing_fields_are_clear_4xx(client: TestClient) -> None:
    response = client.post("/api/v1/users", json={"email": 5})
    assert response.status_code == 422
    body = response.json()
    assert body["detail"].startswith("The request is not valid")
    assert {error["field"] for error in body["errors"]} >= {"handle", "password"}
    assert (
        client.post("/api/v1/users", content=b"not json", headers={"content-type": "application/json"}).status_code
        == 422
    )


def test_password_reset_works_once(client: TestClient, session: Session) -> None:
    user = make_user(session, email="reset@example.com")
    assert client.post("/api/v1/auth/password-reset", json={"email": "reset@example.com"}).status_code == 200
    assert client.post("/api/v1/auth/password-reset", json={"email": "nobody@example.com"}).status_code == 200
    token = _last_link(session, "reset@example.com", "reset")

    weak = client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": "short"})
    assert weak.status_code == 422
    done = client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": "violet-harbour-32"})
    assert done.status_code == 200
    again = client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": "other-harbour-33"})
    assert again.status_code == 422
    assert "used already" in again.json()["detail"]
    login = client.post("/api/v1/auth/session", json={"login": user.handle, "password": "violet-harbour-32"})
    assert login.status_code == 200


def test_forged_and_expired_links_are_refused(client: TestClient, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/api/v1/auth/confirm", json={"token": "forged.token"}).status_code == 422
    from app.accounts import service

    user_token = service.link_serializer("confirm").dumps({"user_id": 1, "email": "x@example.com"})
    monkeypatch.setattr(service.get_settings(), "confirm_email_hours", -1)
    expired = client.post("/api/v1/auth/confirm", json={"token": user_token})
    assert expired.status_code == 422
    assert "expired" in expired.json()["detail"]


def test_personal_api_token_is_shown_once_and_revocable(client: TestClient, session: Session) -> None:
    make_user(session, handle="scripter", email="scripter@example.com")
    client.post("/api/v1/auth/session", json={"login": "scripter", "password": PASSWORD})
    csrf = client.get("/login") and client.cookies["csrftoken"]
    created = client.post("/api/v1/me/tokens", json={"name": "CRM sync"}, headers={"x-csrftoken": csrf})
    assert created.status_code == 201
    plain = created.json()["token"]
    listed = client.get("/api/v1/me/tokens").json()
    assert listed[0]["prefix"] == plain[:12] and "token" not in listed[0]

    bearer = TestClient(client.app)
    assert bearer.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).json()["handle"] == "scripter"
    assert bearer.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401

    token_id = created.json()["id"]
    assert client.delete(f"/api/v1/me/tokens/{token_id}", headers={"x-csrftoken": csrf}).status_code == 204
    assert bearer.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 401
