"""The brand home, its JSON twin and the weekly results e-mail in each reader's language, with local figures."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts import tokens as accounts_tokens
from app.brands.models import Brand, StaffRole
from tests.brands.test_weekly_results import _due_moment, _run, brand  # noqa: F401 (the fixture)
from tests.factories import add_staff, log_in, make_user
from tests.notifications.factories import outbox_for


def test_the_home_page_in_german(client: TestClient, session: Session, brand: Brand) -> None:  # noqa: F811
    manager = make_user(session)
    add_staff(session, brand, manager, StaffRole.manager)
    log_in(client, session, manager)
    page = client.get("/brands/delta", headers={"Accept-Language": "de"}).text
    assert "Teambereich · du bist Manager" in page
    assert "Braucht Aufmerksamkeit" in page and "Bewerbungen zu prüfen" in page
    assert "Den Mitgliedern geschuldet" in page and "0,00\u00a0€" in page  # German money
    assert "Needs attention" not in page


def test_the_overview_api_in_spanish(client: TestClient, session: Session, brand: Brand) -> None:  # noqa: F811
    manager = make_user(session)
    add_staff(session, brand, manager, StaffRole.manager)
    _, plain = accounts_tokens.create_api_token(session, user=manager, name="tests")
    body = client.get(
        "/api/v1/brands/delta/overview", headers={"Authorization": f"Bearer {plain}", "Accept-Language": "es"}
    ).json()
    (item,) = body["attention"]
    assert item["label"] == "Solicitudes por revisar"
    assert {figure["label"] for figure in body["figures"]} >= {"Miembros", "Activos en los últimos 30 días"}


def test_the_weekly_results_go_out_in_each_recipients_language(session: Session, brand: Brand) -> None:  # noqa: F811
    german, english = make_user(session, display_name="Greta", locale="de"), make_user(session)
    add_staff(session, brand, german, StaffRole.manager)
    add_staff(session, brand, english, StaffRole.manager)
    assert _run(session, _due_moment()) == 2
    (email,) = outbox_for(session, german)
    assert email.subject == "Delta diese Woche: 3 Sachen warten auf das Team"
    assert email.body_text.startswith("Hallo Greta,")
    assert "- 3 Bewerbungen zu prüfen: Soap" in email.body_text
    assert "- Mitglieder: 0 (keine Veränderung ggü. vor 30 Tagen)" in email.body_text
    (other,) = outbox_for(session, english)
    assert other.subject == "Delta this week: 3 things waiting for the staff"
