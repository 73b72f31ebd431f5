"""The survey builder in the browser: a manager builds a survey from the template, adds a conditional question with
htmx (no reload), tries the form in the live preview (conditional questions show and hide as answers change;
wrong answers come back with messages and what was typed), and reads the results; the form fits a phone."""

import re
import secrets
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import col, select

from app.accounts import service as accounts_service
from app.brands import service as brands_service
from app.communities import service as communities_service
from app.db import build_engine, session_scope
from app.media.models import MediaImage
from app.surveys import building as surveys_building
from app.surveys import questions as surveys_questions
from app.surveys import responses as surveys_responses
from app.surveys.models import Answer, Survey, SurveyResponse
from tests.e2e.conftest import PHONE, LiveServer
from tests.e2e.test_challenges import artwork, log_in

pytestmark = pytest.mark.e2e


def _no_horizontal_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"


def test_a_manager_builds_tries_and_reads_a_survey(new_page, live_server: LiveServer, shoot) -> None:
    seed = live_server.seed
    manager: Page = new_page()
    log_in(manager, seed.manager)
    manager.goto(f"/brands/{seed.brand_slug}")
    manager.get_by_role("link", name="Surveys").click()
    expect(manager.get_by_role("heading", name="New survey")).to_be_visible()
    manager.get_by_label("Title").fill("Autumn roast: first sips")
    manager.get_by_role("button", name="Create the survey").click()
    expect(manager.get_by_role("status")).to_contain_text("is ready to build")
    expect(manager.get_by_role("heading", level=1)).to_have_text("Autumn roast: first sips")
    expect(manager.get_by_role("heading", name="What should we do with this product?")).to_be_visible()
    survey_path = re.sub(r"^https?://[^/]+", "", manager.url)

    # Add a yes/no question, then one shown only when it is answered "yes" (htmx: the page is not reloaded).
    manager.evaluate("window.chorusNotReloaded = true")
    add = manager.locator("#add-question").locator("..")
    add.get_by_label("Kind of question").select_option(label="Yes or no")
    add.get_by_role("textbox", name="Question", exact=True).fill("Did you brew it as espresso?")
    add.get_by_role("button", name="Add the question").click()
    expect(manager.get_by_role("heading", name="Did you brew it as espresso?")).to_be_visible()
    add = manager.locator("#add-question").locator("..")
    add.get_by_label("Kind of question").select_option(label="Free text")
    add.get_by_role("textbox", name="Question", exact=True).fill("How was the crema?")
    add.get_by_role("group", name="“Did you brew it as espresso?” is").get_by_label("Yes").check()
    add.get_by_role("button", name="Add the question").click()
    expect(manager.get_by_text("Shown only if “Did you brew it as espresso?” is “Yes”.")).to_be_visible()
    assert manager.evaluate("window.chorusNotReloaded") is True, "the question was added by a page load, not htmx"

    # The preview: the crema question appears only once "Yes" is chosen.
    preview = manager.locator("#preview")
    crema = preview.get_by_label("How was the crema?")
    expect(crema).to_be_hidden()
    preview.get_by_role("group", name="Did you brew it as espresso?").get_by_text("Yes", exact=True).click()
    expect(crema).to_be_visible()
    preview.get_by_role("group", name="Did you brew it as espresso?").get_by_text("No", exact=True).click()
    expect(crema).to_be_hidden()

    # Wrong and missing answers come back with messages, keeping what was typed.
    preview.get_by_label("What would you pay for it?").fill("a lot")
    preview.get_by_role("button", name="Check these answers").click()
    preview = manager.locator("#preview")
    expect(preview.get_by_role("alert")).to_have_text("Please correct the marked answers.")
    expect(preview.get_by_text("Enter a number.")).to_be_visible()
    expect(preview.get_by_label("What would you pay for it?")).to_have_value("a lot")
    # The four required questions left blank (overall, outcome, recommend intent, recommended) say so.
    expect(preview.get_by_text("Please answer this question.")).to_have_count(4)
    # Screenshots only after the htmx swaps: taking one leaves style="" on inputs, which htmx's settling would copy.
    shoot(manager, "survey-builder")

    # Responses arrive (here through the service, as a campaign page would record them); the results show them.
    engine = build_engine(live_server.database_url)
    try:
        with session_scope(engine) as session:
            survey_id = int(survey_path.rsplit("/", 1)[1])
            survey = session.get(Survey, survey_id)
            assert survey is not None
            found = {question.code: question for question in surveys_questions.list_questions(session, survey=survey)}
            for outcome in ("keep", "keep", "change_price"):
                values = {
                    found["overall"].input_name: ["4"],
                    found["outcome"].input_name: [outcome],
                    found["recommend_intent"].input_name: ["9"],
                    found["recommended"].input_name: ["no"],
                }
                surveys_responses.record_response(session, survey=survey, form=values)
    finally:
        engine.dispose()
    manager.goto(f"{survey_path}/results")
    # Three answers: every cell is under 5, so each is hidden the same way (app.insights.suppression).
    outcome = manager.get_by_role("img", name=re.compile(r"^What should we do with this product\?.*hidden for privacy"))
    expect(outcome).to_be_visible()
    assert "67%" not in manager.locator("main").inner_text()
    shoot(manager, "survey-results")

    # The builder and its form fit a phone.
    phone: Page = new_page(viewport=PHONE)
    log_in(phone, seed.manager)
    phone.goto(survey_path)
    expect(phone.get_by_role("heading", name="Preview")).to_be_visible()
    _no_horizontal_scroll(phone)
    phone.goto(f"{survey_path}/results")
    _no_horizontal_scroll(phone)


def _publish_photo_survey(server: LiveServer, title: str) -> int:
    """A survey with a choice and a required photo question, published to the seed's feedback community."""
    seed = server.seed
    engine = build_engine(server.database_url)
    try:
        with session_scope(engine) as session:
            brand = brands_service.get_brand_by_slug(session, slug=seed.brand_slug)
            manager = accounts_service.find_user_by_email(session, email=seed.manager.email)
            assert manager is not None
            survey = surveys_building.create_survey(session, brand=brand, title=title, description="", author=manager)
            fields = surveys_questions.QuestionFields
            surveys_questions.add_question(
                session,
                survey=survey,
                fields=fields(
                    kind="single_choice",
                    prompt="Where do you keep the beans?",
                    required=True,
                    options=[{"key": "shelf", "label": "On a shelf"}, {"key": "tin", "label": "In a tin"}],
                ),
            )
            surveys_questions.add_question(
                session, survey=survey, fields=fields(kind="photo", prompt="Show us where they live", required=True)
            )
            community = communities_service.get_community_by_slug(session, slug=seed.community_slug)
            surveys_building.publish_survey(session, survey=survey, community=community)
            return survey.id or 0
    finally:
        engine.dispose()


def test_a_member_answers_a_survey_with_a_photo_on_a_phone(
    new_page, live_server: LiveServer, shoot, tmp_path: Path
) -> None:
    seed = live_server.seed
    title = f"Your bean corner {secrets.token_hex(3)}"
    survey_id = _publish_photo_survey(live_server, title)
    member = seed.members[1]
    phone: Page = new_page(viewport=PHONE)
    log_in(phone, member)
    phone.goto(f"/c/{seed.community_slug}")
    phone.get_by_role("link", name="Surveys").click()
    phone.get_by_role("link", name=title).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(title)
    _no_horizontal_scroll(phone)

    # A file that is no picture comes back with a message on the photo question, and what was chosen stays.
    phone.get_by_text("In a tin").click()
    not_a_picture = tmp_path / "beans.png"
    not_a_picture.write_bytes(b"these are notes about beans, not a picture")
    phone.get_by_label("Show us where they live").set_input_files(not_a_picture)
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("alert")).to_have_text("Please correct the marked answers.")
    expect(phone.get_by_text("PNG, JPEG or WebP").first).to_be_visible()
    expect(phone.get_by_label("In a tin")).to_be_checked()

    phone.get_by_label("Show us where they live").set_input_files(
        artwork(tmp_path / "bean-corner.png", secrets.randbelow(10_000))
    )
    shoot(phone, "survey-answer-photo", sizes=("phone",))
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("status")).to_contain_text("Thank you: your answers are in.")
    expect(phone.get_by_text("You have answered this survey.")).to_be_visible()
    _no_horizontal_scroll(phone)

    engine = build_engine(live_server.database_url)
    try:
        with session_scope(engine) as session:
            survey = session.get(Survey, survey_id)
            assert survey is not None and survey.response_count == 1
            stored = session.exec(
                select(MediaImage.format)
                .join(Answer, col(Answer.image_id) == MediaImage.id)
                .join(SurveyResponse, col(SurveyResponse.id) == Answer.response_id)
                .where(SurveyResponse.survey_id == survey_id)
            ).all()
            assert stored == ["PNG"]
    finally:
        engine.dispose()
