"""The reviews page in the reader's language, with local figures, and a JSON error in Spanish."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.communities.models import CommunityKind
from app.reviews import service as reviews_service
from tests.campaigns.factories import make_campaign
from tests.factories import csrf_token, log_in, make_community
from tests.reviews.factories import make_connector


def test_the_reviews_page_in_german_with_a_german_average(client: TestClient, session: Session) -> None:
    community = make_community(session, kind=CommunityKind.feedback)
    campaign = make_campaign(session, community, phase="feedback", product_name="Lemon Spray")
    for rating in (4, 5):
        author = make_connector(session, campaign, community)
        reviews_service.publish_review(
            session, campaign=campaign, community=community, author=author, rating=rating, body="Gut"
        )
    page = client.get(f"/c/{community.slug}/campaigns/{campaign.slug}/reviews", headers={"Accept-Language": "de"}).text
    assert "Rezensionen zu Lemon Spray" in page
    assert '<p class="rating-average">4,5<span class="visually-hidden"> von 5</span></p>' in page
    assert "2 Rezensionen" in page and "Hat eine kostenlose Probe von" in page


def test_a_json_error_in_spanish(client: TestClient, session: Session) -> None:
    community = make_community(session, kind=CommunityKind.feedback)
    campaign = make_campaign(session, community, phase="feedback", product_name="Lemon Spray")
    log_in(client, session, make_connector(session, campaign, community))
    refused = client.post(
        f"/api/v1/communities/{community.slug}/campaigns/{campaign.slug}/reviews",
        json={"rating": 3, "body": "   "},
        headers={"x-csrftoken": csrf_token(client), "Accept-Language": "es"},
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"] == "Corrige los campos marcados."
