"""The template filters that make stored values read as labels, in the request's language."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.i18n import use_locale
from app.web.templating import templates
from tests.factories import csrf_token, log_in, make_user


def _render(source: str, **values: object) -> str:
    return templates.env.from_string(source).render(**values)


def test_label_reads_a_stored_value_in_the_current_language() -> None:
    assert _render("{{ kind | label }}", kind="survey_response") == "survey answer"
    assert _render("{{ kind | label }}", kind="invite_only") == "invite-only"
    assert _render("{{ kind | label }}", kind="something_new") == "something new"  # not listed: as stored
    with use_locale("de"):
        assert _render("{{ kind | label }}", kind="survey_response") == "Umfrageantwort"
        assert _render("{{ kind | label }}", kind="waitlisted") == "auf der Warteliste"
    with use_locale("es"):
        assert _render("{{ kind | label }}", kind="invite_only") == "solo con invitación"


def test_the_layout_and_error_pages_speak_the_browsers_language(client: TestClient, session: Session) -> None:
    log_in(client, session, make_user(session))
    page = client.get("/settings", headers={"Accept-Language": "de"})
    assert "Abmelden" in page.text and "Benachrichtigungen" in page.text and "Log out" not in page.text
    assert "Accept-Language" in page.headers["vary"]

    missing = client.get("/no-such-page", headers={"Accept-Language": "es"})
    assert missing.status_code == 404
    assert "<h1>No encontrado</h1>" in missing.text and "No encontramos esa página." in missing.text

    api = client.get("/api/v1/no-such-thing", headers={"Accept-Language": "es"})
    assert api.json()["detail"] == "No encontramos esa página."
    invalid = client.post(
        "/api/v1/me/tokens", json={}, headers={"x-csrftoken": csrf_token(client), "Accept-Language": "de"}
    )
    assert invalid.status_code == 422
    assert invalid.json()["detail"].startswith("Die Anfrage ist ungültig: ")


def test_the_csrf_refusal_speaks_the_browsers_language(client: TestClient, session: Session) -> None:
    log_in(client, session, make_user(session))
    refused = client.post("/api/v1/me/tokens", json={"name": "sneaky"}, headers={"Accept-Language": "es"})
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("Falló la comprobación CSRF.")
    page = client.post("/settings", data={"display_name": "x"}, headers={"Accept-Language": "de"})
    assert page.status_code == 403
    assert '<html lang="de">' in page.text and "Formular abgelaufen" in page.text
