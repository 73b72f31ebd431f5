"""Q&A speaks the member's language: the list and a question page in German (counts and dates the German way),
and the API's errors in Spanish."""

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts import tokens as accounts_tokens
from tests.factories import make_community
from tests.ideas.factories import make_member
from tests.questions.factories import make_answer, make_question

GERMAN = {"Accept-Language": "de"}
SPANISH = {"Accept-Language": "es"}


def test_the_list_and_a_question_in_german(client: TestClient, session: Session) -> None:
    community = make_community(session)
    question = make_question(session, community, title="Ist der Beutel recycelbar?")
    question.created_at = datetime(2026, 3, 5, 12, tzinfo=UTC)
    make_answer(session, question, vote_count=2)
    listing = client.get(f"/c/{community.slug}/questions", headers=GERMAN)
    assert listing.status_code == 200
    assert "Fragen und Antworten" in listing.text and "Alle Fragen" in listing.text
    assert "gefragt von" in listing.text and "5. März 2026" in listing.text
    page = client.get(f"/questions/{question.id}", headers=GERMAN)
    assert "<strong>1</strong> Antwort</p>" in page.text and "<strong>2</strong> Stimmen" in page.text
    assert "Zum Antworten anmelden" in page.text and "Log in to answer" not in page.text


def test_the_apis_errors_in_spanish(client: TestClient, session: Session) -> None:
    community = make_community(session)
    question = make_question(session, community)
    author = make_member(session, community)
    answer = make_answer(session, question, author=author)
    _, plain = accounts_tokens.create_api_token(session, user=author, name="tests")
    response = client.put(f"/api/v1/answers/{answer.id}/vote", headers={"Authorization": f"Bearer {plain}", **SPANISH})
    assert response.status_code == 403
    assert response.json()["detail"] == "No puedes votar por tu propia respuesta."
