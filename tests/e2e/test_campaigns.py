"""A sampling campaign in the browser: a connector copies their share link, a friend without an account answers
on a phone-sized screen, and the brand's manager sees the response counted on the campaign's progress page.

The campaign and the connector's acceptance are set up through the services, each step at a moment inside its
window (the journey itself happens in the sharing window)."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from app.accounts import service as accounts_service
from app.campaigns import answering as campaign_answering
from app.campaigns import applications as campaign_applications
from app.campaigns import decisions as campaign_decisions
from app.campaigns import households as campaign_households
from app.campaigns import lifecycle as campaign_lifecycle
from app.columns import utcnow
from app.communities import service as communities_service
from app.db import build_engine, session_scope
from tests.e2e.conftest import PHONE, LiveServer, Person
from tests.e2e.test_challenges import log_in

pytestmark = pytest.mark.e2e

SLUG = "cold-brew-sampling"
# A member of her own: accepting her makes her a connector, and the other journeys expect the seed's members to
# stay plain members.
CONNECTOR = Person("cora@example.test", "cora_connector", "Cora Connector")


def _set_up_campaign(server: LiveServer) -> dict[str, str]:
    """A campaign in its sharing window with Cora accepted as its connector; the survey's input names."""
    seed = server.seed
    connector = CONNECTOR
    now = utcnow()
    start = now - timedelta(days=25)
    engine = build_engine(server.database_url)
    try:
        with session_scope(engine) as session:
            community = communities_service.get_community_by_slug(session, slug=seed.community_slug)
            manager = accounts_service.find_user_by_email(session, email=seed.manager.email)
            assert manager is not None
            person = accounts_service.create_user(
                session,
                email=connector.email,
                handle=connector.handle,
                password=connector.password,
                display_name=connector.display_name,
            )
            communities_service.join_community(session, community=community, user=person)
            campaign = campaign_lifecycle.create_campaign(
                session,
                community=community,
                created_by=manager,
                slug=SLUG,
                fields=campaign_lifecycle.CampaignFields(
                    title="Cold brew sampling",
                    product_name="Harbour Cold Brew",
                    kit_count=10,
                    kit_contents="A bottle for you and 10 sample cans",
                    apply_opens_at=start,
                    apply_closes_at=start + timedelta(days=10),
                    ship_closes_at=start + timedelta(days=20),
                    share_closes_at=now + timedelta(days=10),
                    feedback_closes_at=now + timedelta(days=20),
                ),
            )
            campaign_lifecycle.publish_campaign(session, campaign=campaign)
            application = campaign_applications.apply_to_campaign(
                session,
                campaign=campaign,
                community=community,
                user=person,
                network_size=25,
                answers={},
                address=campaign_households.Address(
                    recipient_name=connector.display_name, address_line1="4 Quay Street", city="Bristol", country="GB"
                ),
                now=start + timedelta(days=1),
            )
            campaign_decisions.decide_applications(
                session,
                campaign=campaign,
                community=community,
                application_ids=[application.id or 0],
                decision="accept",
                decided_by=manager,
                now=start + timedelta(days=11),
            )
            return {
                q.code: q.input_name for q in campaign_answering.survey_questions(session, campaign=campaign) if q.code
            }
    finally:
        engine.dispose()


def test_connector_shares_friend_answers_on_a_phone_manager_sees_it(
    live_server: LiveServer, new_page: Callable[..., Page], shoot: Callable[..., None]
) -> None:
    inputs = _set_up_campaign(live_server)
    seed = live_server.seed
    base = f"/c/{seed.community_slug}/campaigns/{SLUG}"

    # The connector copies their personal link from their campaign page.
    connector = new_page()
    log_in(connector, CONNECTOR)
    connector.goto(f"{base}/mine")
    expect(connector.get_by_role("heading", name="Pass it on")).to_be_visible()
    connector.get_by_role("button", name="Copy link").click()
    expect(connector.get_by_role("status")).to_contain_text("Link copied.")
    link = connector.get_by_label("Your personal link").input_value()
    assert link.startswith(f"{live_server.url}/s/")
    shoot(connector, "campaign-connector")

    # A friend opens it on a phone, without an account, and answers.
    friend = new_page(viewport=PHONE)
    friend.goto(link)
    expect(friend.get_by_role("heading", name="What do you think of Harbour Cold Brew?")).to_be_visible()
    assert friend.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "horizontal scroll"
    # Sending with a required answer missing keeps what was chosen and says what is missing.
    friend.locator(f"input[name='{inputs['overall']}'][value='4']").check(force=True)
    friend.get_by_role("button", name="Send my answers").click()
    expect(friend.get_by_role("alert")).to_contain_text("Please correct the marked answers.")
    expect(friend.locator(f"input[name='{inputs['overall']}'][value='4']")).to_be_checked()
    friend.get_by_label("Keep it as it is").check()
    friend.locator(f"input[name='{inputs['recommend_intent']}'][value='9']").check(force=True)
    friend.locator(f"input[name='{inputs['recommended']}'][value='yes']").check(force=True)
    friend.get_by_label("To how many people?").fill("3")
    friend.get_by_label("Your e-mail address (optional)").fill("pal@example.test")
    shoot(friend, "campaign-answer", sizes=("phone",))
    friend.get_by_role("button", name="Send my answers").click()
    expect(friend.get_by_role("heading", name="Thank you!")).to_be_visible()
    # The friend passes it on again: a link of their own, one hop further.
    friend.get_by_role("button", name="Get my own link").click()
    own = friend.get_by_label("Pass it to a friend who tried a sample").input_value()
    assert own.startswith(f"{live_server.url}/s/") and own != link
    assert friend.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "horizontal scroll"
    shoot(friend, "campaign-thanks", sizes=("phone",))

    # The manager sees the response counted, hidden as every count under 5 is (app.insights.suppression).
    manager = new_page()
    log_in(manager, seed.manager)
    manager.goto(f"{base}/progress")
    responses = manager.locator("tr", has=manager.locator("th[scope=row]", has_text="Responses")).locator("td")
    expect(responses).to_have_text("hidden for privacy")
    connectors = manager.get_by_role("table").filter(has_text=CONNECTOR.display_name)
    expect(connectors).to_be_visible()
    shoot(manager, "campaign-progress")

    # And the connector's own page counts it too.
    connector.goto(f"{base}/mine")
    expect(connector.locator("dt:text-is('Responses') + dd")).to_have_text("1")
    expect(connector.locator("dt:text-is('Passed on again') + dd")).to_have_text("1")


def test_a_member_finds_a_campaign_on_the_community_page_and_applies(
    live_server: LiveServer, new_page: Callable[..., Page], shoot: Callable[..., None]
) -> None:
    seed = live_server.seed
    member = seed.members[2]
    page = new_page(viewport=PHONE)
    log_in(page, member)
    page.goto(f"/c/{seed.community_slug}")
    campaigns = page.get_by_role("region", name="Sampling campaigns")
    card = campaigns.get_by_role("listitem").filter(has_text=seed.applying_campaign_title)
    expect(card).to_contain_text("Applications open")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "horizontal scroll"
    shoot(page, "community-campaigns")
    card.get_by_role("link", name=f"Apply to {seed.applying_campaign_title}").click()
    expect(page.get_by_role("heading", name="Apply to be a connector")).to_be_visible()
    page.get_by_label("How many people could you pass samples on to?").fill("30")
    page.get_by_label("Name on the parcel").fill(member.display_name)
    page.get_by_label("Street address").fill("12 Harbour Row")
    page.get_by_label("Town or city").fill("Bristol")
    page.get_by_label("Country code").fill("GB")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("status")).to_contain_text("Your application is in.")

    # Back on the community page, the campaign says so instead of offering to apply again.
    page.goto(f"/c/{seed.community_slug}")
    card = (
        page.get_by_role("region", name="Sampling campaigns")
        .get_by_role("listitem")
        .filter(has_text=seed.applying_campaign_title)
    )
    expect(card).to_contain_text("You applied: applied")
    expect(card.get_by_role("link", name=f"Apply to {seed.applying_campaign_title}")).to_have_count(0)
