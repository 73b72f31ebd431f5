"""Challenge pages, API messages and a winner's notification in the reader's language, with local figures and dates."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.challenges import winners as challenge_winners
from app.i18n import use_locale
from app.i18n.formatting import format_datetime
from app.notifications.models import Notification
from tests.factories import make_challenge, make_community, make_design, make_user

GERMAN = {"Accept-Language": "de"}


def test_a_challenge_page_speaks_german_with_german_dates_and_figures(client: TestClient, session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community, title="Sea Shirts", phase="scoring", max_designs_per_member=1200)
    make_design(session, challenge, title="Waves")
    page = client.get(f"/c/{community.slug}/challenges/{challenge.slug}", headers=GERMAN)
    assert page.status_code == 200
    assert "Designs pro Mitglied" in page.text and "Zufällig für dich" in page.text
    assert "1.200" in page.text  # the designs a member may send, grouped the German way
    with use_locale("de"):
        closes = format_datetime(challenge.scoring_close_at, style="short")
    assert f"bis {closes}" in page.text
    english = client.get(f"/c/{community.slug}/challenges/{challenge.slug}")
    assert "Designs per member" in english.text and "1,200" in english.text


def test_the_design_search_page_speaks_spanish(client: TestClient) -> None:
    page = client.get("/designs", headers={"Accept-Language": "es"})
    assert "Buscar diseños" in page.text and "No hay diseños que coincidan." in page.text


def test_a_json_error_speaks_the_callers_language(client: TestClient) -> None:
    missing = client.get("/api/v1/designs/987654", headers={"Accept-Language": "es"})
    assert missing.status_code == 404
    assert missing.json()["detail"] == "No existe ese diseño."
    assert client.get("/api/v1/designs/987654").json()["detail"] == "There is no such design."


def test_a_winner_hears_of_the_win_in_their_own_language(session: Session) -> None:
    community = make_community(session)
    challenge = make_challenge(session, community, title="Mugs", phase="closed")
    german = make_design(session, challenge, make_user(session, locale="de"), title="Welle")
    english = make_design(session, challenge, make_user(session), title="Wave")
    closed = challenge.scoring_close_at + timedelta(seconds=1)
    for design in (german, english):
        challenge_winners.pick_winner(session, challenge=challenge, design=design, now=closed)
    challenge_winners.announce_winners(session, challenge=challenge, now=closed)
    texts = {
        notification.user_id: notification.text
        for notification in session.exec(select(Notification).where(Notification.kind == "design_won"))
    }
    assert texts[german.designer_id] == "Dein Design Welle hat Mugs gewonnen"
    assert texts[english.designer_id] == "Your design Wave won Mugs"
