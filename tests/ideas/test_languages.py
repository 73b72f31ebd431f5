"""Ideas speak the member's language: the board and an idea page in German (statuses, counts, dates the German way),
the API's errors in Spanish, and each follower told in their own language."""

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts import tokens as accounts_tokens
from app.brands.models import StaffRole
from app.ideas import managing as ideas_managing
from app.ideas import votes as ideas_votes
from app.ideas.models import IdeaStatus
from app.notifications.models import Notification
from tests.factories import add_staff, make_brand, make_community, make_user
from tests.ideas.factories import make_idea, make_member

GERMAN = {"Accept-Language": "de"}
SPANISH = {"Accept-Language": "es"}


def test_the_board_and_an_idea_in_german(client: TestClient, session: Session) -> None:
    community = make_community(session)
    idea = make_idea(
        session,
        community,
        title="Nachfüllbeutel",
        status=IdeaStatus.planned,
        vote_count=1500,
        created_at=datetime(2026, 3, 5, 12, tzinfo=UTC),
    )
    board = client.get(f"/c/{community.slug}/ideas", headers=GERMAN)
    assert board.status_code == 200
    assert "Ideen und Feedback" in board.text and "Geplant" in board.text
    assert "<strong>1.500</strong> Stimmen" in board.text and "Zum Posten und Abstimmen anmelden" in board.text
    page = client.get(f"/ideas/{idea.id}", headers=GERMAN)
    assert "5. März 2026" in page.text and "Noch keine offizielle Antwort." in page.text
    assert "Log in to vote" not in page.text and "Zum Abstimmen anmelden" in page.text


def test_the_apis_errors_in_spanish(client: TestClient, session: Session) -> None:
    community = make_community(session)
    idea = make_idea(session, community, status=IdeaStatus.done)
    voter = make_member(session, community)
    _, plain = accounts_tokens.create_api_token(session, user=voter, name="tests")
    response = client.put(f"/api/v1/ideas/{idea.id}/vote", headers={"Authorization": f"Bearer {plain}", **SPANISH})
    assert response.status_code == 409
    assert response.json()["detail"] == "Esta idea está realizada: ya no admite votos."


def test_each_follower_hears_of_a_status_change_in_their_own_language(session: Session) -> None:
    brand = make_brand(session)
    community = make_community(session, brand)
    idea = make_idea(session, community, title="Refill pouches")
    german = make_member(session, community, locale="de")
    english = make_member(session, community)
    for person in (german, english):
        ideas_votes.follow(session, idea=idea, user=person)
    manager = make_user(session)
    add_staff(session, brand, manager, StaffRole.manager)
    ideas_managing.change_status(session, idea=idea, actor=manager, status=IdeaStatus.planned)
    texts = {
        notification.user_id: notification.text
        for notification in session.exec(select(Notification).where(Notification.link == f"/ideas/{idea.id}"))
    }
    assert texts[german.id] == "Refill pouches ist jetzt geplant"
    assert texts[english.id] == "Refill pouches is now planned"
