"""Account pages and API messages in the reader's language, with local dates."""

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import csrf_token, log_in, make_user


def test_the_login_page_speaks_the_browsers_language(client: TestClient) -> None:
    german = client.get("/login", headers={"Accept-Language": "de"})
    assert "Passwort vergessen?" in german.text and "E-Mail-Adresse oder Handle" in german.text
    spanish = client.get("/login", headers={"Accept-Language": "es"})
    assert "¿Olvidaste tu contraseña?" in spanish.text


def test_a_json_error_speaks_the_callers_language(client: TestClient) -> None:
    refused = client.get("/api/v1/me", headers={"Accept-Language": "es"})
    assert refused.status_code == 401
    assert refused.json()["detail"] == "Inicia sesión para continuar."
    assert client.get("/api/v1/me").json()["detail"] == "Log in to continue."


def test_a_profile_says_since_when_in_the_members_language(client: TestClient, session: Session) -> None:
    member = make_user(session, handle="greta", created_at=datetime(2026, 3, 5, tzinfo=UTC))
    german = client.get("/u/greta", headers={"Accept-Language": "de"})
    assert "Mitglied seit März 2026" in german.text
    assert "member since March 2026" in client.get("/u/greta").text
    assert member.handle == "greta"


def test_ones_own_language_wins_over_the_browser_in_settings(client: TestClient, session: Session) -> None:
    user = make_user(session, locale="de")
    csrf_token(client)
    log_in(client, session, user)
    page = client.get("/settings", headers={"Accept-Language": "es"})
    assert "Profil speichern" in page.text and "Passwort ändern" in page.text
