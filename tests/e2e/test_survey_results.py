"""A survey's one results page in the browser: the brand's manager follows an old bookmark of the retired results
page and lands on it; "What would you pay for it?" is a histogram of a few round bins with its median and middle
half, not a bar per amount; the small answers are hidden for privacy; and the page fits a phone and a desktop.

Forty answers are recorded through the services: the amounts are spread so that most amounts were given by one or
two people, and two of the answers to "What should we do with it?" were given by fewer than 5."""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from app.accounts import service as accounts_service
from app.brands import service as brands_service
from app.columns import id_of
from app.db import build_engine, session_scope
from app.surveys import building as surveys_building
from app.surveys import questions as surveys_questions
from app.surveys import responses as surveys_responses
from tests.e2e.conftest import DESKTOP, PHONE, LiveServer
from tests.e2e.test_challenges import log_in

pytestmark = pytest.mark.e2e

TITLE = "Harbour cold brew"
OUTCOMES = ["keep"] * 30 + ["change_price"] * 6 + ["change_colour"] * 3 + ["scrap"] * 1


def _set_up(server: LiveServer) -> int:
    """A template survey of the seed's brand with forty answers; its id."""
    engine = build_engine(server.database_url)
    try:
        with session_scope(engine) as session:
            brand = brands_service.get_brand_by_slug(session, slug=server.seed.brand_slug)
            manager = accounts_service.find_user_by_email(session, email=server.seed.manager.email)
            survey = surveys_building.create_survey(session, brand=brand, title=TITLE, author=manager, template=True)
            questions = {q.code: q for q in surveys_questions.list_questions(session, survey=survey) if q.code}
            for number, outcome in enumerate(OUTCOMES):
                values = {
                    questions["overall"].input_name: [str(1 + number % 5)],
                    questions["outcome"].input_name: [outcome],
                    questions["recommend_intent"].input_name: [str(10 - number % 4)],
                    questions["pay"].input_name: [str(4 + (number * 7) % 23)],
                    questions["recommended"].input_name: ["no"],
                }
                surveys_responses.record_response(session, survey=survey, form=values)
            return id_of(survey)
    finally:
        engine.dispose()


def test_a_surveys_results_bin_the_amounts_and_hide_small_answers(
    live_server: LiveServer, new_page: Callable[..., Page], shoot: Callable[..., None]
) -> None:
    survey_id = _set_up(live_server)
    seed = live_server.seed
    page = new_page()
    log_in(page, seed.manager)
    page.goto(f"/brands/{seed.brand_slug}/surveys/{survey_id}/results")  # an old bookmark
    expect(page).to_have_url(re.compile(rf"/brands/{seed.brand_slug}/surveys/{survey_id}/insights$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Results of {TITLE}")
    expect(page.get_by_test_id("respondents-a")).to_have_text("40")

    pay = page.locator("figure").filter(has_text="What would you pay for it?")
    rows = pay.get_by_role("table").locator("tbody tr")
    # 23 different amounts, most given by one or two people: a few bins of 5, small tails gathered.
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text("under 10")
    expect(rows.nth(1)).to_contain_text("10\u201314")
    expect(rows.last).to_contain_text("20 or more")
    facts = page.locator("dl.facts").filter(has_text="Middle half").last
    expect(facts).to_contain_text("Median")
    expect(facts.locator("dd").first).to_have_text("40")

    outcome = page.locator("figure").filter(has_text="What should we do with it?").first
    expect(outcome.get_by_role("row", name=re.compile(r"^Keep it as it is 75%"))).to_be_visible()
    # 3 and 1 are hidden, and 6 with them (the 4 they add up to would show); every hidden cell reads the same.
    for label in ("Change the colour", "Scrap it"):
        expect(outcome.get_by_role("row", name=re.compile(rf"^{label}.*hidden for privacy"))).to_be_visible()

    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page scrolls sideways at {viewport['width']} px"
        expect(pay.locator("svg")).to_be_visible()
    shoot(page, "survey-results")
