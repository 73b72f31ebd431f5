"""A campaign's results in the browser: the brand's analyst opens them from the campaign page and meets the answer
first (headline figures, intent against action, the referral chain), opens Explore and narrows the results to a
segment with the filter builder (htmx, no reload) and sees the charts change, then downloads the responses' CSV,
which carries the connector and hop of each response and only the e-mail addresses given with consent; on a phone
the headline figures are on the first screen and Explore is folded.

The campaign, its two connectors and twelve friends' answers are set up through the services, each step at a
moment inside its window."""

import csv
import io
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from app.accounts import service as accounts_service
from app.brands import service as brands_service
from app.brands.models import BrandStaff, StaffRole
from app.campaigns import answering as campaign_answering
from app.campaigns import applications as campaign_applications
from app.campaigns import connectors as campaign_connectors
from app.campaigns import decisions as campaign_decisions
from app.campaigns import households as campaign_households
from app.campaigns import lifecycle as campaign_lifecycle
from app.campaigns import links as share_links
from app.columns import id_of, utcnow
from app.communities import service as communities_service
from app.db import build_engine, session_scope
from tests.e2e.conftest import PHONE, LiveServer, Person
from tests.e2e.test_challenges import log_in

pytestmark = pytest.mark.e2e

SLUG = "espresso-blend-sampling"
ANALYST = Person("ada@harbour.test", "ada_analyst", "Ada Analyst")
CONNECTORS = (
    Person("tomas@example.test", "tomas_connector", "Tomás Connector"),
    Person("yara@example.test", "yara_connector", "Yara Connector"),
)
# Per connector: (what to do with it, NPS, e-mail, consent) for each friend who answered through their link.
FRIENDS = (
    [
        ("keep", 10, "keen@example.test", True),
        ("keep", 9, "", False),
        ("keep", 9, "", False),
        ("scrap", 3, "quiet@example.test", False),
        ("scrap", 2, "", False),
        ("change_price", 9, "", False),
    ],
    [
        ("keep", 10, "", False),
        ("keep", 8, "", False),
        ("keep", 9, "", False),
        ("scrap", 1, "", False),
        ("scrap", 4, "", False),
        ("change_price", 7, "", False),
    ],
)


def _set_up(server: LiveServer) -> None:
    """The analyst, a campaign in its sharing window with two connectors, and twelve answers through their links."""
    seed = server.seed
    now = utcnow()
    start = now - timedelta(days=25)
    engine = build_engine(server.database_url)
    try:
        with session_scope(engine) as session:
            brand = brands_service.get_brand_by_slug(session, slug=seed.brand_slug)
            community = communities_service.get_community_by_slug(session, slug=seed.community_slug)
            manager = accounts_service.find_user_by_email(session, email=seed.manager.email)
            assert manager is not None
            analyst = accounts_service.create_user(
                session,
                email=ANALYST.email,
                handle=ANALYST.handle,
                password=ANALYST.password,
                display_name=ANALYST.display_name,
            )
            session.add(BrandStaff(brand_id=id_of(brand), user_id=id_of(analyst), role=StaffRole.analyst))
            campaign = campaign_lifecycle.create_campaign(
                session,
                community=community,
                created_by=manager,
                slug=SLUG,
                fields=campaign_lifecycle.CampaignFields(
                    title="Espresso blend sampling",
                    product_name="Harbour Espresso Blend",
                    kit_count=10,
                    apply_opens_at=start,
                    apply_closes_at=start + timedelta(days=10),
                    ship_closes_at=start + timedelta(days=20),
                    share_closes_at=now + timedelta(days=10),
                    feedback_closes_at=now + timedelta(days=20),
                ),
            )
            campaign_lifecycle.publish_campaign(session, campaign=campaign)
            questions = {q.code: q for q in campaign_answering.survey_questions(session, campaign=campaign) if q.code}
            for number, (person, friends) in enumerate(zip(CONNECTORS, FRIENDS, strict=True)):
                connector = accounts_service.create_user(
                    session,
                    email=person.email,
                    handle=person.handle,
                    password=person.password,
                    display_name=person.display_name,
                )
                communities_service.join_community(session, community=community, user=connector)
                application = campaign_applications.apply_to_campaign(
                    session,
                    campaign=campaign,
                    community=community,
                    user=connector,
                    network_size=25,
                    answers={},
                    address=campaign_households.Address(
                        recipient_name=person.display_name,
                        address_line1=f"{number + 1} Dock Road",
                        city="Bristol",
                        country="GB",
                    ),
                    now=start + timedelta(days=1),
                )
                campaign_decisions.decide_applications(
                    session,
                    campaign=campaign,
                    community=community,
                    application_ids=[id_of(application)],
                    decision="accept",
                    decided_by=manager,
                    now=start + timedelta(days=11),
                )
                link = campaign_connectors.connector_link(session, campaign=campaign, user=connector)
                assert link is not None
                campaign_connectors.record_samples_passed_on(session, campaign=campaign, user=connector, count=8)
                for friend, (outcome, nps, email, consent) in enumerate(friends):
                    share_links.record_open(session, link=link)
                    values = {
                        questions["overall"].input_name: ["4" if outcome == "keep" else "2"],
                        questions["outcome"].input_name: [outcome],
                        questions["recommend_intent"].input_name: [str(nps)],
                        questions["recommended"].input_name: ["no"],
                    }
                    campaign_answering.answer_campaign(
                        session,
                        link=link,
                        campaign=campaign,
                        form=values,
                        device_token=f"e2e-insights-{number}-{friend}",
                        email=email,
                        consent=consent,
                    )
    finally:
        engine.dispose()


def test_an_analyst_narrows_a_campaigns_results_and_downloads_them(
    live_server: LiveServer, new_page: Callable[..., Page], shoot: Callable[..., None]
) -> None:
    _set_up(live_server)
    seed = live_server.seed
    base = f"/c/{seed.community_slug}/campaigns/{SLUG}"

    analyst = new_page()
    log_in(analyst, ANALYST)
    analyst.goto(base)
    analyst.get_by_role("link", name="Results").click()
    expect(analyst.get_by_role("heading", level=1)).to_have_text("Results of Espresso blend sampling")
    # The answer first: the headline figures, then every question; Explore is folded.
    expect(analyst.get_by_test_id("headline-respondents")).to_have_text("12")
    outcome_chart = analyst.locator("figure").filter(has_text="What should we do with it? Every respondent")
    expect(outcome_chart.get_by_role("row", name=re.compile(r"^Keep it as it is 50%"))).to_be_visible()
    chain = analyst.locator("figure").filter(has_text="The referral chain: every link")
    expect(chain.get_by_role("row", name=re.compile(r"^Answered 2 100%"))).to_be_visible()
    intent = analyst.get_by_role("region", name=re.compile(r"^Said they would recommend it \(9"))
    expect(intent).to_contain_text("6 respondents")
    explore = analyst.locator("details#explore")
    expect(explore).not_to_have_attribute("open", "")
    expect(analyst.get_by_label("Add a filter on an answer")).to_be_hidden()
    analyst.get_by_text("Explore: segments, comparison, cross-tab").click()
    expect(explore).to_have_attribute("open", "")

    # A segment: the friends who said to keep it (two htmx steps: pick the question, tick its answer; no reload).
    analyst.evaluate("window.chorusNotReloaded = true")
    analyst.get_by_label("Add a filter on an answer").select_option(label="What should we do with this product?")
    analyst.get_by_role("group", name="What should we do with this product?: any of").get_by_label(
        "Keep it as it is"
    ).check()
    analyst.get_by_role("button", name="Apply").click()
    expect(analyst.get_by_test_id("respondents-a")).to_have_text("6")
    expect(explore).to_have_attribute("open", "")  # the swapped page keeps the exploration open
    expect(analyst.get_by_test_id("headline-respondents")).to_have_text("12")  # the headline stays everyone's
    expect(
        analyst.get_by_role("heading", name=re.compile("What should we do with this product\\? Keep it"))
    ).to_be_visible()
    segment = analyst.locator("section.segment-results")
    segment_outcome = segment.locator("figure").filter(has_text="What should we do with it?")
    expect(segment_outcome.get_by_role("row", name=re.compile(r"^Keep it as it is 100%"))).to_be_visible()
    # Opens and sign-ups are counted per link, not per answer: the chain says so instead of guessing.
    segment_chain = segment.locator("figure").filter(has_text="The referral chain of this segment's links")
    expect(segment_chain.get_by_role("row", name=re.compile(r"^Opened Not known for answer"))).to_be_visible()
    assert analyst.evaluate("window.chorusNotReloaded") is True, "the segment was applied by a page load, not htmx"
    assert "a=" in analyst.url, "the segment is not in the address bar"
    # Screenshots only after the htmx swaps (see tests/e2e/test_surveys.py).
    shoot(analyst, "campaign-results-segment")
    # A shared link opens on its exploration.
    shared = new_page()
    log_in(shared, ANALYST)
    shared.goto(analyst.url)
    expect(shared.locator("details#explore")).to_have_attribute("open", "")
    expect(shared.get_by_test_id("respondents-a")).to_have_text("6")

    # The responses of the segment as CSV: connector and hop, and an e-mail only where the friend consented.
    with analyst.expect_download() as download:
        analyst.get_by_role("link", name="CSV: responses").click()
    path = download.value.path()
    assert path is not None
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert len(rows) == 6 and {row["outcome"] for row in rows} == {"keep"}
    assert {row["connector"] for row in rows} == {person.handle for person in CONNECTORS}
    assert {row["hop"] for row in rows} == {"1"}
    assert sorted(row["email"] for row in rows if row["email"]) == ["keen@example.test"]

    # The connectors' table sorts in place.
    analyst.get_by_role("link", name="Response rate").click()
    expect(analyst.locator("th[aria-sort]")).to_contain_text("Response rate")

    # The page fits a phone, and leads with the answer: the headline figures are on the first screen.
    phone = new_page(viewport=PHONE)
    log_in(phone, ANALYST)
    phone.goto(f"{base}/insights")
    expect(phone.get_by_test_id("headline-respondents")).to_have_text("12")
    for figure in ("headline-respondents", "headline-reach", "headline-kits", "headline-nps"):
        box = phone.get_by_test_id(figure).bounding_box()
        assert box is not None and box["y"] + box["height"] < PHONE["height"], (figure, box)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    expect(phone.locator("details#explore")).not_to_have_attribute("open", "")
    phone.locator("details#explore > summary").focus()
    phone.keyboard.press("Enter")  # opens from the keyboard too
    expect(phone.get_by_label("Add a filter on an answer")).to_be_visible()
    shoot(phone, "campaign-results-phone")
