"""Campaign pages, errors and notices in the member's language, with local figures and dates."""

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.communities.models import CommunityKind
from app.i18n import use_locale
from app.i18n.formatting import format_date
from app.notifications.models import Notification
from tests.campaigns.factories import accept, apply, make_applicant, make_campaign
from tests.factories import add_staff, make_brand, make_community, make_user


def test_the_campaign_page_speaks_german_with_german_figures_and_dates(client: TestClient, session: Session) -> None:
    community = make_community(session, kind=CommunityKind.feedback)
    campaign = make_campaign(session, community, kit_count=1200, target_network_size=1500)
    page = client.get(f"/c/{community.slug}/campaigns/{campaign.slug}", headers={"Accept-Language": "de"})
    assert page.status_code == 200
    assert "Bewerbung offen" in page.text and "Produkttest für Fizz Lemonade" in page.text
    assert "1.200 von 1.200 übrig" in page.text and "je etwa 1.500 Personen" in page.text
    with use_locale("de"):
        assert f"bis {format_date(campaign.ship_closes_at)}" in page.text
    assert "Applications open" not in page.text and "people each" not in page.text


def test_campaign_errors_in_the_api_speak_spanish(client: TestClient, session: Session) -> None:
    community = make_community(session, kind=CommunityKind.feedback)
    missing = client.get(f"/api/v1/communities/{community.slug}/campaigns/nope", headers={"Accept-Language": "es"})
    assert missing.status_code == 404
    assert missing.json()["detail"] == "Esa campaña no existe."


def test_a_decision_is_told_in_the_applicants_language(session: Session) -> None:
    brand = make_brand(session)
    community = make_community(session, brand, kind=CommunityKind.feedback)
    manager = make_user(session)
    add_staff(session, brand, manager)
    campaign = make_campaign(session, community)
    applicant = make_applicant(session, community)
    applicant.locale = "es"
    session.add(applicant)
    application = apply(session, campaign, community, applicant)
    accept(session, campaign, community, application, manager)
    told = session.exec(select(Notification).where(Notification.user_id == applicant.id)).one()
    assert told.text == f"¡Eres conector de {campaign.title}! Revisa tu dirección de envío."
