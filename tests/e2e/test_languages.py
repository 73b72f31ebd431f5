"""A member whose browser asks for German, on a phone: signing up, confirming, joining, scoring and answering a
survey speak German throughout; only what people wrote (names, titles, the brand's texts) stays as written."""

import re
import secrets

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import inspect, text
from sqlmodel import col, select

from app.accounts import service as accounts_service
from app.brands import service as brands_service
from app.communities import service as communities_service
from app.db import build_engine, session_scope
from app.surveys import building as surveys_building
from app.surveys import questions as surveys_questions
from app.surveys import translations as surveys_translations
from app.surveys.models import Answer, SurveyResponse
from tests.e2e.conftest import PHONE, LiveServer

pytestmark = pytest.mark.e2e

# Words that are English and not German: one of them outside member-written content is an untranslated string.
ENGLISH_WORDS = frozenset(
    {
        "the",
        "and",
        "you",
        "your",
        "with",
        "for",
        "this",
        "that",
        "of",
        "to",
        "is",
        "are",
        "not",
        "on",
        "by",
        "from",
        "have",
        "has",
        "be",
        "it",
        "or",
        "at",
        "were",
        "can",
        "please",
        "here",
        "there",
        "what",
        "which",
        "who",
        "how",
        "more",
        "than",
        "all",
        "new",
        "log",
        "sign",
        "join",
        "score",
        "save",
        "back",
        "next",
        "home",
        "members",
        "member",
        "submit",
        "answer",
        "answers",
        "send",
        "password",
        "confirm",
        "confirmed",
        "welcome",
        "scored",
    }
)


CONTENT_COLUMNS = frozenset(
    {"name", "title", "tagline", "description", "brief", "rules", "prize", "product_type", "display_name", "body"}
)


def member_written(server: LiveServer) -> list[str]:
    """What people wrote, as stored (names, titles, taglines, descriptions, bodies of every table that has them),
    each also line by line and without Markdown's marks: the page shows it as written, in whatever language."""
    engine = build_engine(server.database_url)
    texts: set[str] = set()
    try:
        tables = inspect(engine).get_table_names()
        with engine.connect() as connection:
            for table in tables:
                columns = [c["name"] for c in inspect(engine).get_columns(table) if c["name"] in CONTENT_COLUMNS]
                for column in columns:
                    for (value,) in connection.execute(text(f'SELECT "{column}" FROM "{table}"')):  # noqa: S608
                        if isinstance(value, str) and value.strip():
                            plain = re.sub(r"[*_`#>]|\[|\]\([^)]*\)", "", value)
                            texts.update({value, plain, *value.splitlines(), *plain.splitlines()})
    finally:
        engine.dispose()
    return [item.strip() for item in texts if len(item.strip()) > 2]


def english_left(page: Page, *, written: list[str]) -> list[str]:
    """The English words on the visible page (and its title), once the texts people wrote are taken out."""
    text = page.locator("body").inner_text() + "\n" + page.title()
    for content in sorted(written, key=len, reverse=True):
        text = text.replace(content, " ")
    return sorted({word for word in re.findall(r"[A-Za-z]+", text) if word.lower() in ENGLISH_WORDS})


def assert_german(page: Page, *, written: list[str], server: LiveServer | None = None) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "de")
    left = english_left(page, written=written + (member_written(server) if server else []))
    assert not left, f"English on {page.url}: {left}"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), f"sideways: {page.url}"


def test_a_german_member_signs_up_joins_scores_and_answers_in_german(new_page, live_server: LiveServer, shoot) -> None:
    seed = live_server.seed
    page: Page = new_page(viewport=PHONE, locale="de-DE")
    suffix = secrets.token_hex(3)
    email, handle, name = f"lena.{suffix}@example.test", f"lena_{suffix}", "Lena Vogel"
    written = [
        email,
        handle,
        name,
        seed.brand_name,
        seed.community_name,
        seed.community_tagline,
        seed.design_community_name,
        seed.challenge_title,
        seed.scoring_challenge_title,
        "Chorus",  # the site's name
    ]

    # Sign up: the form, its errors and the confirmation page in German.
    page.goto("/signup")
    assert_german(page, written=written, server=live_server)
    page.locator("#email").fill(email)
    page.locator("#handle").fill(handle)
    page.locator("#display_name").fill(name)
    page.locator("#password").fill("1234")
    page.locator("form[action='/signup'] button[type=submit]").click()
    expect(page.get_by_role("alert")).to_have_text("Bitte korrigiere die markierten Felder.")
    assert_german(page, written=written, server=live_server)
    shoot(page, "de-signup-error", sizes=("phone",))
    page.locator("#password").fill("kupfer-wiese-geige-81")
    page.locator("form[action='/signup'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/signup"))
    assert_german(page, written=written, server=live_server)

    # The confirmation e-mail is German too (the account keeps the language it signed up in).
    page.goto("/dev/outbox")
    page.get_by_role("row").filter(has_text=email).get_by_role("link").first.click()
    expect(page.locator(".email-body")).to_contain_text("bestätige deine E-Mail-Adresse")
    body = page.locator(".email-body").inner_text()
    left = [
        word for word in re.findall(r"[A-Za-z]+", re.sub(r"https?://\S+", " ", body)) if word.lower() in ENGLISH_WORDS
    ]
    assert not left, left
    page.locator(".email-body").get_by_role("link").click()
    expect(page.get_by_role("status")).to_be_visible()
    assert_german(page, written=written, server=live_server)

    # Join the design community and score a design of the challenge in scoring.
    page.goto(f"/c/{seed.design_community_slug}")
    assert_german(page, written=written, server=live_server)
    page.locator(f"form[action='/c/{seed.design_community_slug}/join'] button").click()
    expect(page.locator(f"form[action='/c/{seed.design_community_slug}/leave']")).to_be_visible()
    assert_german(page, written=written, server=live_server)
    page.goto(f"/c/{seed.design_community_slug}/challenges/{seed.scoring_challenge_slug}")
    designs = [title.strip() for title in page.locator(".design-card").all_inner_texts()]
    written += [line for text in designs for line in text.splitlines() if line.strip()]
    assert_german(page, written=written, server=live_server)
    shoot(page, "de-gallery", sizes=("phone",))
    page.locator(".design-card").first.get_by_role("link").first.click()
    design_title = page.get_by_role("heading", level=1).inner_text()
    written.append(design_title)
    assert_german(page, written=written, server=live_server)
    page.locator(".score-choice").nth(4).click()
    expect(page.get_by_role("status").first).to_contain_text("gespeichert")
    assert_german(page, written=written, server=live_server)
    shoot(page, "de-scored", sizes=("phone",))

    # Answer the brand's survey: its questions were written in English with a German translation, which this
    # member reads; the answer is stored by option key, so it counts with everyone's.
    title = f"Winter roast {suffix}"
    survey_id = _publish_translated_survey(live_server, title)
    written.append(title)
    page.goto(f"/c/{seed.community_slug}")
    page.locator(f"form[action='/c/{seed.community_slug}/join'] button").click()
    expect(page.locator(f"form[action='/c/{seed.community_slug}/leave']")).to_be_visible()
    page.goto(f"/c/{seed.community_slug}/surveys/{survey_id}")
    expect(page.get_by_text("Wie gefällt dir die neue Röstung?")).to_be_visible()
    expect(page.get_by_text("Where do you keep")).to_have_count(0)
    assert_german(page, written=written, server=live_server)
    shoot(page, "de-survey", sizes=("phone",))
    page.get_by_text("Ich liebe sie").click()
    page.get_by_label("Was sollen wir ändern?").fill("Etwas mehr Säure, bitte.")
    page.locator(f"form[action='/c/{seed.community_slug}/surveys/{survey_id}'] button[type=submit]").click()
    expect(page.get_by_role("status").first).to_be_visible()
    assert_german(page, written=[*written, "Etwas mehr Säure, bitte."], server=live_server)
    engine = build_engine(live_server.database_url)
    try:
        with session_scope(engine) as session:
            keys = session.exec(
                select(Answer.option_key)
                .join(SurveyResponse, col(SurveyResponse.id) == Answer.response_id)
                .where(SurveyResponse.survey_id == survey_id, col(Answer.option_key).is_not(None))
            ).all()
    finally:
        engine.dispose()
    assert keys == ["love"]


def _publish_translated_survey(server: LiveServer, title: str) -> int:
    """A survey written in English with a German translation of each question, published to the seed's feedback
    community."""
    seed = server.seed
    engine = build_engine(server.database_url)
    try:
        with session_scope(engine) as session:
            brand = brands_service.get_brand_by_slug(session, slug=seed.brand_slug)
            manager = accounts_service.find_user_by_email(session, email=seed.manager.email)
            assert manager is not None
            survey = surveys_building.create_survey(session, brand=brand, title=title, description="", author=manager)
            fields = surveys_questions.QuestionFields
            liking = surveys_questions.add_question(
                session,
                survey=survey,
                fields=fields(
                    kind="single_choice",
                    prompt="How do you like the new roast?",
                    required=True,
                    options=[{"key": "love", "label": "I love it"}, {"key": "fine", "label": "It is fine"}],
                ),
            )
            change = surveys_questions.add_question(
                session, survey=survey, fields=fields(kind="text", prompt="What should we change?")
            )
            german = surveys_translations.TranslationFields
            surveys_translations.set_translation(
                session,
                survey=survey,
                question=liking,
                language="de",
                fields=german(
                    prompt="Wie gefällt dir die neue Röstung?",
                    options={"love": "Ich liebe sie", "fine": "Sie ist okay"},
                ),
            )
            surveys_translations.set_translation(
                session, survey=survey, question=change, language="de", fields=german(prompt="Was sollen wir ändern?")
            )
            community = communities_service.get_community_by_slug(session, slug=seed.community_slug)
            surveys_building.publish_survey(session, survey=survey, community=community)
            return survey.id or 0
    finally:
        engine.dispose()
