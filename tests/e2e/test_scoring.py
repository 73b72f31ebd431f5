"""Scoring like a card stack, on a phone: a visitor who wants to score signs up, confirms the e-mail (which signs
them in and brings them back), joins the design community and scores ten designs with the keyboard alone, each
score moving on to the next design without a reload; then the gallery shows their marks and what is left."""

import re
import secrets

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import DESKTOP, PHONE, LiveServer

pytestmark = pytest.mark.e2e


def _box(locator: Locator) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None
    return box


def _no_sideways_scroll(page: Page) -> None:
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"the page scrolls sideways: {scroll_width}px wide in {inner_width}px"


def test_a_new_member_scores_ten_designs_with_the_keyboard_on_a_phone(new_page, live_server: LiveServer, shoot) -> None:
    seed = live_server.seed
    total = seed.scoring_designs
    gallery_url = f"/c/{seed.design_community_slug}/challenges/{seed.scoring_challenge_slug}"
    page: Page = new_page(viewport=PHONE)
    suffix = secrets.token_hex(3)
    email, handle, name = f"sam.{suffix}@example.test", f"sam_{suffix}", "Sam Scorer"

    # A visitor opens a design of the challenge in scoring and wants to score it.
    page.goto(gallery_url)
    page.locator(".design-card").first.get_by_role("link").first.click()
    design_path = re.sub(r"^https?://[^/]+", "", page.url)
    page.get_by_role("link", name="Log in to score").click()
    page.locator("#main").get_by_role("link", name="Sign up").click()
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Handle").fill(handle)
    page.get_by_label("Name to show").fill(name)
    page.get_by_label("Password").fill("amber-kettle-orchard-47")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")

    # The confirmation link (from the development outbox) signs them in and brings them back to the design.
    page.goto("/dev/outbox")
    page.get_by_role("row").filter(has_text=email).get_by_role("link").first.click()
    page.locator(".email-body").get_by_role("link").click()
    expect(page).to_have_url(re.compile(re.escape(design_path) + "$"))
    expect(page.get_by_role("status")).to_contain_text("Your e-mail address is confirmed.")
    expect(page.get_by_role("link", name="Profile", include_hidden=True)).to_be_attached()

    # Signed in but not a member yet: the design page says how to score.
    page.get_by_role("link", name=f"Join {seed.design_community_name} to score").click()
    page.get_by_role("button", name=f"Join {seed.design_community_name}").click()
    expect(page.get_by_text("You are a member")).to_be_visible()

    # The gallery: thumbnails in two columns above the folded brief, the progress, and the way in.
    page.goto(gallery_url)
    expect(page.get_by_text(f"Scored 0 of {total}")).to_be_visible()
    cards = page.locator(".design-card")
    first_card, second_card = _box(cards.nth(0)), _box(cards.nth(1))
    assert first_card["y"] == second_card["y"] and second_card["x"] > first_card["x"], "two thumbnails a row"
    assert _box(page.locator("#gallery"))["y"] < _box(page.locator("details.brief"))["y"], "the gallery comes first"
    expect(page.locator("details.brief")).not_to_have_attribute("open", "")
    _no_sideways_scroll(page)
    shoot(page, "scoring-gallery-start", sizes=("phone",))
    page.get_by_role("link", name="Score the next design").click()

    # The score controls on a phone: six large buttons in one row, and a large "I'd buy it" toggle.
    choices = page.get_by_role("group", name=re.compile("Score from 0 to 5"))
    buttons = [_box(choices.locator(".score-choice").nth(number)) for number in range(6)]
    assert len({round(box["y"]) for box in buttons}) == 1, "the six scores wrap"
    assert all(box["width"] >= 44 and box["height"] >= 44 for box in buttons), buttons
    buy = page.get_by_label("I'd buy it")
    assert _box(page.locator(".buy-toggle"))["height"] >= 44
    expect(page.locator(".design-figure img")).to_be_in_viewport()
    expect(page.locator(".buy-toggle")).to_be_in_viewport(ratio=1)  # the design and its controls on one screen
    _no_sideways_scroll(page)
    shoot(page, "scoring-design", sizes=("phone",))
    page.set_viewport_size(DESKTOP)
    shoot(page, "scoring-design", sizes=("desktop",))
    page.set_viewport_size(PHONE)

    # Typing a comment never scores.
    page.get_by_label("Add a comment").fill("5 b 4")
    expect(page.get_by_text(f"Scored 0 of {total}")).to_be_visible()
    expect(page.get_by_label("5", exact=True)).not_to_be_checked()
    page.get_by_label("Add a comment").fill("")
    page.get_by_role("heading", level=1).click()  # away from the text field

    # Ten designs by keys alone: B toggles "I'd buy it", a digit scores and moves on, without a reload.
    page.evaluate("window.stillTheSamePage = true")
    seen = []
    for number in range(10):
        title = page.get_by_role("heading", level=1).inner_text()
        assert title not in seen, f"{title} came round again"
        seen.append(title)
        if number % 3 == 0:
            page.keyboard.press("b")
            expect(buy).to_be_checked()
        page.keyboard.press(str(number % 6))
        expect(page.get_by_text(f"Scored {number + 1} of {total}")).to_be_visible()
        expect(page.get_by_role("heading", level=1)).not_to_have_text(title)
        expect(page).to_have_title(re.compile("^Winter label"))
        expect(page.locator(".design-figure img")).to_be_in_viewport()  # the next design from its top
    assert page.evaluate("window.stillTheSamePage") is True, "a score reloaded the page"
    expect(page.get_by_role("status").filter(has_text="is saved")).to_have_count(1)

    # The gallery marks the ten, and the "Not scored yet" filter leaves the other four (no JavaScript needed).
    page.get_by_role("link", name=seed.scoring_challenge_title).click()
    expect(page.get_by_text(f"Scored 10 of {total}")).to_be_visible()
    expect(page.locator(".badge-scored")).to_have_count(10)
    expect(page.locator(".badge-scored").filter(has_text="would buy")).to_have_count(4)
    shoot(page, "scoring-gallery-ten")
    page.get_by_label("Not scored yet").check()
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"unscored=true"))
    expect(page.locator(".design-card")).to_have_count(total - 10)
    expect(page.locator(".badge-scored")).to_have_count(0)
    for title in seen:
        expect(page.locator(".design-card").get_by_text(title, exact=True)).to_have_count(0)
    shoot(page, "scoring-gallery-unscored", sizes=("phone",))
