"""Communities speak the visitor's language: the home page and a community page in German, their figures and
dates the German way, and the API's errors in Spanish."""

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts import tokens as accounts_tokens
from app.communities.models import CommunityKind
from tests.factories import add_member, log_in, make_community, make_user

GERMAN = {"Accept-Language": "de"}
SPANISH = {"Accept-Language": "es"}


def test_the_home_page_in_german_with_german_figures(client: TestClient, session: Session) -> None:
    community = make_community(session, name="Gartenfreunde", kind=CommunityKind.both, member_count=1234)
    page = client.get("/", headers=GERMAN)
    assert page.status_code == 200
    assert "Gestalte Produkte mit den Marken, die du liebst" in page.text
    assert "Design- und Feedback-Community" in page.text and community.name in page.text
    assert "1.234 Mitglieder" in page.text
    assert "Make products with the brands you love" not in page.text


def test_a_community_page_in_german_with_the_joining_date_the_german_way(client: TestClient, session: Session) -> None:
    community = make_community(session, kind=CommunityKind.design)
    member = make_user(session)
    membership = add_member(session, community, member)
    membership.joined_at = datetime(2026, 3, 5, 12, tzinfo=UTC)
    session.add(membership)
    session.flush()
    log_in(client, session, member)
    page = client.get(f"/c/{community.slug}", headers=GERMAN)
    assert "Du bist hier seit dem 5. März 2026 Mitglied." in page.text
    assert "Design-Challenges" in page.text and "Ideen und Feedback" in page.text
    assert "1 Mitglied</p>" in page.text
    english = client.get(f"/c/{community.slug}")
    assert "You are a member here since March 5, 2026." in english.text


def test_the_apis_errors_in_spanish(client: TestClient, session: Session) -> None:
    community = make_community(session)
    member = make_user(session)
    add_member(session, community, member)
    _, plain = accounts_tokens.create_api_token(session, user=member, name="tests")
    response = client.post(
        f"/api/v1/communities/{community.slug}/membership",
        headers={"Authorization": f"Bearer {plain}", **SPANISH},
    )
    assert response.status_code == 409
    assert response.json()["detail"] == f"Ya eres miembro de {community.name}."
    missing = client.get("/api/v1/communities/no-such-community", headers=SPANISH)
    assert missing.status_code == 404 and missing.json()["detail"] == "Esa comunidad no existe."
