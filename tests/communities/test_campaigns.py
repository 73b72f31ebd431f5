"""The community page offers its sampling campaigns: those taking applications (with an "Apply" link) first, then
the ones under way; the community's JSON says the same."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts import tokens as accounts_tokens
from app.campaigns import lifecycle as campaign_lifecycle
from app.campaigns.models import Campaign, CampaignStatus
from app.columns import utcnow
from app.communities.models import Community, CommunityKind
from tests.campaigns.factories import make_application, make_campaign
from tests.factories import add_member, log_in, make_community, make_user
from tests.surveys.html import parse


def _campaigns(session: Session) -> tuple[Community, dict[str, Campaign]]:
    community = make_community(session, kind=CommunityKind.feedback)
    now = utcnow()
    made = {
        phase: make_campaign(session, community, phase=phase, title=f"{phase.title()} campaign")
        for phase in ("upcoming", "applying", "sharing", "closed")
    }
    made["closing soon"] = make_campaign(
        session, community, phase="applying", title="Closing soon", apply_closes_at=now + timedelta(hours=3)
    )
    made["draft"] = make_campaign(session, community, title="Draft campaign", status=CampaignStatus.draft)
    return community, made


def test_current_campaigns_are_those_applying_soonest_first_then_running(session: Session) -> None:
    community, made = _campaigns(session)
    member = make_user(session)
    add_member(session, community, member)
    make_application(session, made["sharing"], member)
    rows = campaign_lifecycle.current_campaigns(session, community=community, user=member)
    assert [(row.campaign.title, row.phase) for row in rows] == [
        ("Closing soon", "applying"),
        ("Applying campaign", "applying"),
        ("Sharing campaign", "sharing"),
    ]
    assert [row.application is not None for row in rows] == [False, False, True]
    assert rows[0].phase_ends_at == made["closing soon"].apply_closes_at
    assert rows[2].phase_ends_at == made["sharing"].share_closes_at
    a_week_on = campaign_lifecycle.current_campaigns(
        session, community=community, user=None, now=utcnow() + timedelta(days=7)
    )
    # The upcoming one has opened and closed by then; nobody is taking applications.
    assert [row.phase for row in a_week_on] == ["shipping", "shipping", "shipping", "feedback"]
    assert a_week_on[0].campaign.title == "Closing soon" and a_week_on[3].campaign.title == "Sharing campaign"
    assert {row.campaign.title for row in a_week_on[1:3]} == {"Upcoming campaign", "Applying campaign"}


def test_the_community_page_lists_them_with_an_apply_link(client: TestClient, session: Session) -> None:
    community, made = _campaigns(session)
    page = client.get(f"/c/{community.slug}")
    section = parse(page.text).find(class_="current-campaigns")
    assert [heading.text() for heading in section.find_all("h3")] == [
        "Closing soon",
        "Applying campaign",
        "Sharing campaign",
    ]
    assert page.text.count("Log in to apply") == 2
    member = make_user(session)
    add_member(session, community, member)
    log_in(client, session, member)
    page = client.get(f"/c/{community.slug}")
    applying = made["applying"]
    apply_link = parse(page.text).find("a", aria_label=f"Apply to {applying.title}")
    assert apply_link["href"] == f"/c/{community.slug}/campaigns/{applying.slug}/apply"
    assert apply_link.text() == "Apply"
    assert client.get(apply_link["href"]).status_code == 200
    make_application(session, applying, member)
    page = client.get(f"/c/{community.slug}")
    assert f'aria-label="Apply to {applying.title}"' not in page.text
    assert "You applied:" in page.text and f"/campaigns/{applying.slug}/mine" in page.text


def test_the_community_api_lists_the_same_campaigns(client: TestClient, session: Session) -> None:
    community, made = _campaigns(session)
    member = make_user(session)
    add_member(session, community, member)
    make_application(session, made["closing soon"], member)
    _, plain = accounts_tokens.create_api_token(session, user=member, name="phone")
    detail = client.get(f"/api/v1/communities/{community.slug}", headers={"Authorization": f"Bearer {plain}"})
    assert detail.status_code == 200
    listed = detail.json()["current_campaigns"]
    assert [(item["title"], item["phase"], item["my_application"]) for item in listed] == [
        ("Closing soon", "applying", "applied"),
        ("Applying campaign", "applying", None),
        ("Sharing campaign", "sharing", None),
    ]
    applying = made["applying"]
    assert listed[0]["apply_path"] is None and listed[2]["apply_path"] is None
    assert listed[1]["apply_path"] == f"/api/v1/communities/{community.slug}/campaigns/{applying.slug}/application"
    assert listed[1]["kits_left"] == applying.kit_count
