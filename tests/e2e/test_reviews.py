"""A product review in the browser: a connector whose kit was delivered goes from the campaign page to its
reviews on a phone-sized screen, publishes a rating, text and photo, and sees the review with its disclosure badge;
a visitor then sees the same badge, and the rules page it links to.

The campaign, the connector's acceptance, the shipping and the receipt are set up through the services, each step at
a moment inside its window (the journey happens in the feedback window)."""

import io
from collections.abc import Callable
from datetime import timedelta

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from app.accounts import service as accounts_service
from app.campaigns import applications as campaign_applications
from app.campaigns import decisions as campaign_decisions
from app.campaigns import households as campaign_households
from app.campaigns import kits as campaign_kits
from app.campaigns import lifecycle as campaign_lifecycle
from app.columns import utcnow
from app.communities import service as communities_service
from app.db import build_engine, session_scope
from tests.e2e.conftest import PHONE, LiveServer, Person
from tests.e2e.test_challenges import log_in

pytestmark = pytest.mark.e2e

SLUG = "espresso-pods-sampling"
PRODUCT = "Harbour Espresso Pods"
REVIEWER = Person("rhea.reviewer@example.test", "rhea_reviewer", "Rhea Reviewer")


def _set_up_delivered_kit(server: LiveServer) -> None:
    """A campaign in its feedback window whose one connector, Rhea, has confirmed her kit's arrival."""
    seed = server.seed
    now = utcnow()
    start = now - timedelta(days=40)
    engine = build_engine(server.database_url)
    try:
        with session_scope(engine) as session:
            community = communities_service.get_community_by_slug(session, slug=seed.community_slug)
            manager = accounts_service.find_user_by_email(session, email=seed.manager.email)
            assert manager is not None
            person = accounts_service.create_user(
                session,
                email=REVIEWER.email,
                handle=REVIEWER.handle,
                password=REVIEWER.password,
                display_name=REVIEWER.display_name,
            )
            communities_service.join_community(session, community=community, user=person)
            campaign = campaign_lifecycle.create_campaign(
                session,
                community=community,
                created_by=manager,
                slug=SLUG,
                fields=campaign_lifecycle.CampaignFields(
                    title="Espresso pods sampling",
                    product_name=PRODUCT,
                    kit_count=5,
                    kit_contents="A box of pods for you and 10 to pass on",
                    apply_opens_at=start,
                    apply_closes_at=start + timedelta(days=10),
                    ship_closes_at=start + timedelta(days=20),
                    share_closes_at=start + timedelta(days=30),
                    feedback_closes_at=now + timedelta(days=20),
                ),
            )
            campaign_lifecycle.publish_campaign(session, campaign=campaign)
            application = campaign_applications.apply_to_campaign(
                session,
                campaign=campaign,
                community=community,
                user=person,
                network_size=20,
                answers={},
                address=campaign_households.Address(
                    recipient_name=REVIEWER.display_name, address_line1="9 Dock Road", city="Hull", country="GB"
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
            shipment = campaign_kits.get_shipment(session, application=application)
            assert shipment is not None
            campaign_kits.import_tracking(
                session,
                campaign=campaign,
                community=community,
                content=f"kit_id,carrier,tracking_number\n{shipment.id},DHL,HB0001\n".encode(),
                now=start + timedelta(days=12),
            )
            campaign_applications.confirm_receipt(
                session, campaign=campaign, user=person, now=start + timedelta(days=14)
            )
    finally:
        engine.dispose()


def _photo_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (120, 80, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_a_connector_publishes_a_review_on_a_phone_and_the_badge_shows(
    live_server: LiveServer, new_page: Callable[..., Page], shoot: Callable[..., None]
) -> None:
    _set_up_delivered_kit(live_server)
    seed = live_server.seed
    badge = f"Received a free sample from {seed.brand_name}"

    page = new_page(viewport=PHONE)
    log_in(page, REVIEWER)
    page.goto(f"/c/{seed.community_slug}/campaigns/{SLUG}")
    page.get_by_role("link", name=f"Reviews of {PRODUCT}").click()
    expect(page.get_by_role("heading", name=f"Reviews of {PRODUCT}", level=1)).to_be_visible()
    expect(page.get_by_text("No reviews yet.").first).to_be_visible()

    # Sending without a rating keeps what was typed and says what is missing (the browser's own check is off).
    form = page.locator("#own-review form")
    form.evaluate("form => form.noValidate = true")
    page.get_by_label("Your review").fill("Rich crema, a little bitter for me.")
    page.get_by_role("button", name="Publish your review").click()
    expect(page.locator("#own-review")).to_contain_text("Choose a rating from 1 to 5 stars.")
    expect(page.get_by_label("Your review")).to_have_value("Rich crema, a little bitter for me.")

    page.get_by_label("4 stars").check()
    page.get_by_label("A photo (optional)").set_input_files(
        files=[{"name": "pods.jpg", "mimeType": "image/jpeg", "buffer": _photo_bytes()}]
    )
    page.get_by_role("button", name="Publish your review").click()
    expect(page.get_by_role("status")).to_contain_text("Your review is published.")

    review = page.locator("li.review").filter(has_text="Rich crema")
    expect(review.get_by_role("link", name=badge)).to_be_visible()
    expect(review.get_by_role("img", name=f"Photo by {REVIEWER.display_name}")).to_be_visible()
    expect(page.locator(".rating-average")).to_contain_text("4.0")
    expect(page.get_by_role("heading", name="Your review")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "horizontal scroll"
    shoot(page, "review-published", sizes=("phone",))

    # A visitor sees the same badge, and it leads to the rules.
    visitor = new_page(viewport=PHONE)
    visitor.goto(f"/c/{seed.community_slug}/campaigns/{SLUG}/reviews")
    visitor.locator("li.review").filter(has_text="Rich crema").get_by_role("link", name=badge).click()
    expect(visitor.get_by_role("heading", name="Disclosure badges")).to_be_visible()
    expect(visitor.get_by_role("table")).to_contain_text("Received a free sample from Brightleaf")
