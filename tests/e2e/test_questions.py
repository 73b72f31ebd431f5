"""Community Q&A in the browser: the brand's manager lets visitors ask; a visitor on a phone starts a question, is
shown a similar one while typing (htmx, debounced), and asks theirs; the manager approves it in the moderation
queue; a member answers it; the manager accepts the answer, which then leads the answers with its mark."""

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

from app.accounts import service as accounts_service
from app.communities import service as communities_service
from app.db import build_engine, session_scope
from app.questions import asking
from tests.e2e.conftest import PHONE, LiveServer
from tests.e2e.test_challenges import log_in

pytestmark = pytest.mark.e2e


def ask_existing_question(server: LiveServer, title: str) -> None:
    """A member's question, already in the community (test setup, through the service)."""
    seed = server.seed
    engine = build_engine(server.database_url)
    try:
        with session_scope(engine) as session:
            community = communities_service.get_community_by_slug(session, slug=seed.community_slug)
            author = accounts_service.find_user_by_email(session, email=seed.members[2].email)
            assert author is not None
            asking.ask_question(session, community=community, asker=asking.Asker(user=author), title=title)
    finally:
        engine.dispose()


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def _assert_accessible(page: Page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page, options={"resultTypes": ["violations"]}).response["violations"]
    assert not violations, [(item["id"], [node["target"] for node in item["nodes"]]) for item in violations]


def test_a_visitor_asks_a_member_answers_and_the_brand_accepts(new_page, live_server: LiveServer, shoot) -> None:
    seed = live_server.seed
    word = f"cardamom{secrets.token_hex(2)}"
    existing = f"Is the {word} roast very strong?"
    ask_existing_question(live_server, existing)
    questions_url = f"/c/{seed.community_slug}/questions"

    manager: Page = new_page()
    log_in(manager, seed.manager)
    manager.goto(questions_url)
    manager.get_by_label("Visitors may ask too").check()
    manager.get_by_role("button", name="Save").click()
    expect(manager.get_by_role("status")).to_contain_text("Visitors may now ask")
    _assert_accessible(manager)

    # A visitor on a phone: typing the question brings the similar one in without a reload.
    visitor: Page = new_page(viewport=PHONE)
    visitor.goto(f"/c/{seed.community_slug}")
    visitor.get_by_role("link", name="Questions and answers").click()
    expect(visitor).to_have_url(re.compile(f"{questions_url}$"))
    visitor.get_by_role("link", name="Ask a question").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Ask a question")
    visitor.evaluate("window.chorusNotReloaded = true")
    visitor.get_by_label("Your question").press_sequentially(f"Which milk suits the {word}?", delay=20)
    expect(visitor.locator("#similar").get_by_role("link", name=existing)).to_be_visible()
    assert visitor.evaluate("window.chorusNotReloaded") is True, "the suggestions reloaded the page"
    _no_sideways_scroll(visitor)
    _assert_accessible(visitor)
    shoot(visitor, "questions-ask-with-similar", sizes=("phone", "desktop"))
    title = f"Which milk suits the {word} roast best?"
    visitor.get_by_label("Your question").fill(title)
    visitor.get_by_label("Your name").fill("Rosa")
    visitor.get_by_role("button", name="Ask the question").click()
    expect(visitor.get_by_role("status")).to_contain_text("once a moderator has read it")
    expect(visitor.get_by_role("link", name=title)).to_have_count(0)

    # The manager approves it in the moderation queue.
    manager.goto(f"/c/{seed.community_slug}/moderation")
    manager.get_by_role("link", name=re.compile(re.escape(title))).first.click()
    manager.get_by_role("radio", name=re.compile(r"^Keep or approve")).check()
    manager.get_by_role("button", name="Decide").click()
    expect(manager.get_by_role("status")).to_contain_text("Done")

    # A member finds it among the unanswered questions and answers it.
    member: Page = new_page()
    log_in(member, seed.members[0])
    member.goto(questions_url)
    member.get_by_role("link", name=re.compile(r"^Unanswered")).click()
    member.get_by_role("link", name=title).click()
    expect(member.get_by_role("heading", level=1)).to_have_text(title)
    expect(member.get_by_text("Rosa (visitor)")).to_be_visible()
    member.get_by_role("textbox", name="Answer").fill("Oat milk: it keeps the **spice** in front.")
    member.get_by_role("button", name="Post the answer").click()
    expect(member.get_by_role("status")).to_contain_text("Your answer is posted.")
    expect(member.locator(".qa-answer .prose strong")).to_have_text("spice")
    question_path = re.sub(r"^https?://[^/]+", "", member.url).split("#")[0]

    # The brand's manager answers too (the Brand badge) and accepts the member's answer.
    manager.goto(question_path)
    manager.get_by_role("textbox", name="Answer").fill("Whole milk works as well, if you prefer it creamy.")
    manager.get_by_role("button", name="Post the answer").click()
    expect(manager.locator(".qa-answer").filter(has_text="Whole milk").locator(".badge-brand")).to_have_text("Brand")
    member_answer = manager.locator(".qa-answer").filter(has_text="Oat milk")
    member_answer.get_by_role("button", name=re.compile(r"^Accept this answer")).click()
    expect(manager.get_by_role("status")).to_contain_text("The answer is accepted")
    first = manager.locator(".qa-answer").first
    expect(first).to_contain_text("Oat milk")
    expect(first.get_by_text("✓ Accepted answer")).to_be_visible()
    _assert_accessible(manager)
    manager.set_viewport_size(PHONE)
    _no_sideways_scroll(manager)
    _assert_accessible(manager)
    shoot(manager, "questions-accepted", sizes=("desktop", "phone"))

    # The member sees the acceptance on their phone-width profile count.
    member.set_viewport_size(PHONE)
    member.goto(f"/u/{seed.members[0].handle}")
    expect(member.locator(".helpful-answers strong")).to_have_text("1")
    _no_sideways_scroll(member)
