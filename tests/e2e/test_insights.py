"""A campaign's results in the browser: the brand's analyst opens them from the campaign page, narrows them to a
segment with the filter builder (htmx, no reload) and sees the charts change, then downloads the responses' CSV,
which carries the connector and hop of each response and only the e-mail addresses given with consent; the page
fits a phone.

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
from app.campaigns import service as campaigns_service
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
            campaign = campaigns_service.create_campaign(
                session,
                community=community,
                created_by=manager,
                slug=SLUG,
                fields=campaigns_service.CampaignFields(
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
            campaigns_service.publish_campaign(session, campaign=campaign)
            questions = {q.code: q for q in campaigns_service.survey_questions(session, campaign=campaign) if q.code}
            for number, (person, friends) in enumerate(zip(CONNECTORS, FRIENDS, strict=True)):
                connector = accounts_service.create_user(
                    session,
                    email=person.email,
                    handle=person.handle,
                    password=person.password,
                    display_name=person.display_name,
                )
                communities_service.join_community(session, community=community, user=connector)
                application = campaigns_service.apply_to_campaign(
                    session,
                    campaign=campaign,
                    community=community,
                    user=connector,
                    network_size=25,
                    answers={},
                    address=campaigns_service.Address(
                        recipient_name=person.display_name,
                        address_line1=f"{number + 1} Dock Road",
                        city="Bristol",
                        country="GB",
                    ),
                    now=start + timedelta(days=1),
                )
                campaigns_service.decide_applications(
                    session,
                    campaign=campaign,
                    community=community,
                    application_ids=[id_of(application)],
                    decision="accept",
                    decided_by=manager,
                    now=start + timedelta(days=11),
                )
                link = campaigns_service.connector_link(session, campaign=campaign, user=connector)
                assert link is not None
                campaigns_service.record_samples_passed_on(session, campaign=campaign, user=connector, count=8)
                for friend, (outcome, nps, email, consent) in enumerate(friends):
                    campaigns_service.record_open(session, link=link)
                    values = {
                        questions["overall"].input_name: ["4" if outcome == "keep" else "2"],
                        questions["outcome"].input_name: [outcome],
                        questions["recommend_intent"].input_name: [str(nps)],
                        questions["recommended"].input_name: ["no"],
                    }
                    campaigns_service.answer_campaign(
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
    expect(analyst.get_by_test_id("respondents-a")).to_have_text("12")
    outcome_chart = analyst.locator("figure").filter(has_text="What should we do with it?")
    expect(outcome_chart.get_by_role("row", name=re.compile(r"^Keep it as it is 50%"))).to_be_visible()
    funnel = analyst.locator("figure").filter(has_text="From intent to action")
    expect(funnel.get_by_role("row", name=re.compile(r"^Would recommend it 6\b"))).to_be_visible()
    before = outcome_chart.locator("svg").inner_html()

    # A segment: the friends who said to keep it (two htmx steps: pick the question, tick its answer; no reload).
    analyst.evaluate("window.chorusNotReloaded = true")
    analyst.get_by_label("Add a filter on an answer").select_option(label="What should we do with this product?")
    analyst.get_by_role("group", name="What should we do with this product?: any of").get_by_label(
        "Keep it as it is"
    ).check()
    analyst.get_by_role("button", name="Apply").click()
    expect(analyst.get_by_test_id("respondents-a")).to_have_text("6")
    expect(
        analyst.get_by_role("heading", name=re.compile("What should we do with this product\\? Keep it"))
    ).to_be_visible()
    outcome_chart = analyst.locator("figure").filter(has_text="What should we do with it?")
    expect(outcome_chart.get_by_role("row", name=re.compile(r"^Keep it as it is 100%"))).to_be_visible()
    assert outcome_chart.locator("svg").inner_html() != before, "the chart was not redrawn for the segment"
    # Opens and sign-ups are counted per link, not per answer: the funnel says so instead of guessing.
    funnel = analyst.locator("figure").filter(has_text="From intent to action")
    # 5 promoters of 6 would show the 1 who is not: hidden (app.insights.suppression).
    expect(funnel.get_by_role("row", name=re.compile(r"^Would recommend it fewer than 5"))).to_be_visible()
    expect(funnel.get_by_role("row", name=re.compile(r"^Opened a share link Not known for answer"))).to_be_visible()
    assert analyst.evaluate("window.chorusNotReloaded") is True, "the segment was applied by a page load, not htmx"
    assert "a=" in analyst.url, "the segment is not in the address bar"
    # Screenshots only after the htmx swaps (see tests/e2e/test_surveys.py).
    shoot(analyst, "campaign-results-segment")

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

    # The page fits a phone.
    phone = new_page(viewport=PHONE)
    log_in(phone, ANALYST)
    phone.goto(f"{base}/insights")
    expect(phone.get_by_test_id("respondents-a")).to_have_text("12")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
