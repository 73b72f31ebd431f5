"""The brand home in the browser: a manager follows the header's Staff link to it, follows "Applications to review"
of a campaign, decides two applications there, comes back and finds the count dropped; at phone and desktop width.

Each width gets a campaign of its own (three applicants, taking applications now), set up through the services."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Locator, Page, ViewportSize, expect

from app.accounts import service as accounts_service
from app.campaigns import applications as campaign_applications
from app.campaigns import households as campaign_households
from app.campaigns import lifecycle as campaign_lifecycle
from app.columns import utcnow
from app.communities import service as communities_service
from app.db import build_engine, session_scope
from tests.e2e.conftest import DESKTOP, PHONE, LiveServer
from tests.e2e.test_challenges import log_in

pytestmark = pytest.mark.e2e


def _campaign_with_applicants(server: LiveServer, *, slug: str, title: str) -> None:
    seed = server.seed
    now = utcnow()
    engine = build_engine(server.database_url)
    try:
        with session_scope(engine) as session:
            community = communities_service.get_community_by_slug(session, slug=seed.community_slug)
            manager = accounts_service.find_user_by_email(session, email=seed.manager.email)
            assert manager is not None
            campaign = campaign_lifecycle.create_campaign(
                session,
                community=community,
                created_by=manager,
                slug=slug,
                fields=campaign_lifecycle.CampaignFields(
                    title=title,
                    product_name="Harbour Decaf",
                    kit_count=10,
                    kit_contents="A bag for you and 10 sample sachets",
                    apply_opens_at=now - timedelta(days=1),
                    apply_closes_at=now + timedelta(days=10),
                    ship_closes_at=now + timedelta(days=20),
                    share_closes_at=now + timedelta(days=30),
                    feedback_closes_at=now + timedelta(days=40),
                ),
            )
            campaign_lifecycle.publish_campaign(session, campaign=campaign)
            for number in range(3):
                person = accounts_service.create_user(
                    session,
                    email=f"{slug}-{number}@example.test",
                    handle=f"{slug.replace('-', '_')}_{number}",
                    password="a long enough password",
                    display_name=f"Applicant {number} of {title}",
                )
                communities_service.join_community(session, community=community, user=person)
                campaign_applications.apply_to_campaign(
                    session,
                    campaign=campaign,
                    community=community,
                    user=person,
                    network_size=20 + number,
                    answers={},
                    address=campaign_households.Address(
                        recipient_name=person.display_name,
                        address_line1=f"{number} Quay Street",
                        city="Bristol",
                        country="GB",
                    ),
                )
    finally:
        engine.dispose()


def _applications_item(page: Page, title: str) -> Locator:
    return page.locator(".attention-list li").filter(has_text="Applications to review").filter(has_text=title)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_manager_reviews_applications_from_the_brand_home(
    live_server: LiveServer, new_page: Callable[..., Page], shoot: Callable[..., None], viewport: ViewportSize
) -> None:
    width = viewport["width"]
    slug, title = f"decaf-{width}", f"Decaf tasting {width}"
    _campaign_with_applicants(live_server, slug=slug, title=title)
    page = new_page(viewport=viewport)
    log_in(page, live_server.seed.manager)

    def go_to_the_brand_home() -> None:
        if width < 768:
            page.locator(".site-menu > summary").click()
        page.get_by_role("link", name="Staff", exact=True).first.click()
        expect(page.get_by_role("heading", name="Needs attention")).to_be_visible()

    go_to_the_brand_home()
    expect(page).to_have_url(f"{live_server.url}/brands/{live_server.seed.brand_slug}")
    item = _applications_item(page, title)
    expect(item.locator(".attention-count")).to_have_text("3")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "horizontal scroll"
    shoot(page, f"brand-home-{width}", sizes=("phone",) if width < 768 else ("desktop",))

    item.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Applications and kits")).to_be_visible()
    rows = page.locator("#review tbody tr")
    expect(rows).to_have_count(3)
    page.get_by_label(f"Select Applicant 0 of {title}").check()
    page.get_by_label(f"Select Applicant 1 of {title}").check()
    page.get_by_label("With the selected").select_option("accept")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.get_by_role("status")).to_contain_text("2 applications updated.")

    go_to_the_brand_home()
    expect(_applications_item(page, title).locator(".attention-count")).to_have_text("1")
    kits = page.locator(".attention-list li").filter(has_text="Kits to ship").filter(has_text=title)
    expect(kits.locator(".attention-count")).to_have_text("2")
