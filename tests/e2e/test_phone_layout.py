"""Pages at phone width (390 px): the header's menu opens by click and by keyboard, with scripts off too; a flash
message sits under the header, never over it; money tables are cards with their amounts in view; nothing scrolls
sideways on the earnings and statement pages nor on a results page with charts."""

import secrets

import pytest
from playwright.sync_api import Locator, Page, expect

from app.brands import service as brands_service
from app.columns import utcnow
from app.db import build_engine, session_scope
from tests.e2e.conftest import PHONE, LiveServer
from tests.e2e.test_journeys import log_in, main_nav

pytestmark = pytest.mark.e2e


def _sell_a_design(server: LiveServer, *, designer_handle: str, order_id: str) -> None:
    """A live product of the seed's brand designed by a member, and a sale of it today (test setup)."""
    from sqlmodel import select

    from app.accounts.models import User
    from tests.rewards.factories import make_live_product, sell

    engine = build_engine(server.database_url)
    try:
        with session_scope(engine) as session:
            brand = brands_service.get_brand_by_slug(session, slug=server.seed.brand_slug)
            designer = session.exec(select(User).where(User.handle == designer_handle)).one()
            sell(session, brand, make_live_product(session, brand, designer), order_id=order_id, quantity=4)
    finally:
        engine.dispose()


def _assert_fits(page: Page) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways at {PHONE['width']} px ({width} px wide)"


def _assert_in_view_across(page: Page, element: Locator) -> None:
    expect(element).to_be_visible()
    box = element.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box


@pytest.mark.parametrize("scripts", [True, False], ids=["with-js", "without-js"])
def test_the_menu_opens_by_click_and_by_keyboard(new_page, scripts: bool, shoot) -> None:
    page: Page = new_page(viewport=PHONE, java_script_enabled=scripts)
    page.goto("/")
    menu = page.locator("details.site-menu")
    summary = menu.locator("summary")
    log_in_link = main_nav(page).get_by_role("link", name="Log in")
    # One row: the site's name and the menu button side by side, the links folded away.
    expect(summary).to_have_text("Menu")
    expect(log_in_link).to_be_hidden()
    brand_box, summary_box = page.locator(".brand-mark").bounding_box(), summary.bounding_box()
    assert brand_box and summary_box and abs(brand_box["y"] - summary_box["y"]) < summary_box["height"]
    assert summary_box["height"] >= 44 and summary_box["width"] >= 44  # a thumb-sized target

    summary.click()
    expect(log_in_link).to_be_visible()
    _assert_in_view_across(page, log_in_link)
    shoot(page, f"menu-open-{'js' if scripts else 'no-js'}", sizes=("phone",))
    summary.click()
    expect(log_in_link).to_be_hidden()

    # The keyboard, from the top of a fresh page: Tab past the skip link and the site's name to the menu, Enter
    # opens it, Tab reaches its links, Space on the menu closes it.
    page.goto("/")
    for _ in range(3):
        page.keyboard.press("Tab")
    expect(summary).to_be_focused()
    page.keyboard.press("Enter")
    expect(log_in_link).to_be_visible()
    page.keyboard.press("Tab")
    expect(main_nav(page).get_by_role("link", name="Communities")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Space")
    expect(log_in_link).to_be_hidden()
    _assert_fits(page)


def test_a_flash_message_sits_under_the_header(new_page, live_server: LiveServer) -> None:
    page: Page = new_page(viewport=PHONE)
    log_in(page, live_server.seed.members[0])
    flash = page.locator("#toasts .toast").first
    expect(flash).to_be_visible()
    header, message = page.locator(".site-header").bounding_box(), flash.bounding_box()
    assert header is not None and message is not None
    assert message["y"] >= header["y"] + header["height"], (header, message)
    _assert_fits(page)


def test_money_pages_and_a_results_page_fit_a_phone(new_page, live_server: LiveServer, shoot) -> None:
    seed = live_server.seed
    member = seed.members[0]
    order_id = f"P-{secrets.token_hex(3)}"
    _sell_a_design(live_server, designer_handle=member.handle, order_id=order_id)

    page: Page = new_page(viewport=PHONE)
    log_in(page, member)
    page.goto("/me/earnings")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your earnings")
    # The sale's line is a card: its amount is in view, labelled by its column.
    line = page.get_by_role("row").filter(has_text=f"order {order_id}")
    amount = line.locator('td[data-label="Amount"]')
    expect(amount).to_have_text("€10.00")  # 10 % of 4 x €25.00
    _assert_in_view_across(page, amount)
    expect(page.get_by_role("img", name="Your earnings per month")).to_be_visible()
    _assert_fits(page)
    shoot(page, "phone-earnings", sizes=("phone",))

    page.goto(f"/me/statement?brand={seed.brand_slug}&month={utcnow():%Y-%m}")
    closing = page.get_by_role("row").filter(has_text="Owed at the end of the month").locator("td")
    expect(closing).to_contain_text("€")
    _assert_in_view_across(page, closing)
    _assert_fits(page)
    shoot(page, "phone-statement", sizes=("phone",))

    manager: Page = new_page(viewport=PHONE)
    log_in(manager, seed.manager)
    manager.goto(f"/c/{seed.community_slug}/insights")
    chart = manager.locator("svg.chart").first
    expect(chart).to_be_visible()
    expect(chart.locator(".chart-axis-title").first).to_be_visible()
    _assert_fits(manager)
    shoot(manager, "phone-community-results", sizes=("phone",))
