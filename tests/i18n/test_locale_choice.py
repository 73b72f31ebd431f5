"""Which language a request speaks, the switcher, one's own settings, and a community's default."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.i18n.locales import best_match
from tests.factories import csrf_token, log_in, make_community, make_user


def test_accept_language_picks_the_preferred_supported_language() -> None:
    assert best_match("de-DE,de;q=0.9,en;q=0.8") == "de"
    assert best_match("fr-FR,fr;q=0.9,es;q=0.5,en;q=0.4") == "es"
    assert best_match("fr, it") is None
    assert best_match("en;q=0.2, de;q=0.7") == "de"
    assert best_match("de;q=0, es") == "es"
    assert best_match("") is None
    assert best_match("es;q=abc, de") == "de"


def test_a_page_follows_the_browser_and_says_so_in_its_lang(client: TestClient) -> None:
    german = client.get("/login", headers={"Accept-Language": "de-AT,de;q=0.9"})
    assert '<html lang="de">' in german.text
    assert "Sprache" in german.text  # the footer's switcher
    english = client.get("/login", headers={"Accept-Language": "fr"})
    assert '<html lang="en">' in english.text


def test_the_switcher_keeps_a_visitors_pick_over_the_browser(client: TestClient) -> None:
    response = client.post(
        "/language",
        data={"locale": "es", "next": "/login", "csrftoken": csrf_token(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    page = client.get("/login", headers={"Accept-Language": "de"})
    assert '<html lang="es">' in page.text


def test_the_switcher_refuses_to_send_anyone_elsewhere(client: TestClient) -> None:
    response = client.post(
        "/language",
        data={"locale": "de", "next": "https://evil.example/", "csrftoken": csrf_token(client)},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_a_members_setting_comes_before_the_browser_and_the_api_speaks_it(client: TestClient, session: Session) -> None:
    user = make_user(session)
    log_in(client, session, user)
    token = csrf_token(client)
    saved = client.put(
        "/api/v1/me/preferences",
        json={"locale": "de", "time_zone": "Europe/Berlin"},
        headers={"x-csrftoken": token},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json() == {"locale": "de", "time_zone": "Europe/Berlin"}
    page = client.get("/settings/language", headers={"Accept-Language": "es"})
    assert '<html lang="de">' in page.text
    refused = client.put(
        "/api/v1/me/preferences", json={"locale": "fr", "time_zone": None}, headers={"x-csrftoken": token}
    )
    assert refused.status_code == 422
    assert "Wähle" in refused.json()["detail"]  # the refusal in the member's language
    session.refresh(user)
    assert user.locale == "de"


def test_the_settings_form_re_renders_a_bad_time_zone(client: TestClient, session: Session) -> None:
    user = make_user(session)
    log_in(client, session, user)
    response = client.post(
        "/settings/language",
        data={"locale": "es", "time_zone": "Mars/Olympus", "csrftoken": csrf_token(client)},
    )
    assert response.status_code == 422
    assert "Mars/Olympus" in response.text
    session.refresh(user)
    assert user.locale is None


def test_a_communitys_default_is_the_last_fallback(client: TestClient, session: Session) -> None:
    community = make_community(session, default_locale="de")
    page = client.get(f"/c/{community.slug}", headers={"Accept-Language": "fr"})
    assert '<html lang="de">' in page.text
    browser_first = client.get(f"/c/{community.slug}", headers={"Accept-Language": "es"})
    assert '<html lang="es">' in browser_first.text
