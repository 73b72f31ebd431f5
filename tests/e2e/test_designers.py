"""The designer's side in the browser: a member on a phone searches designs, opens a result and follows its
designer from the design page (htmx, no reload); a manager puts the designer's product on sale with a store link,
and the designer's portfolio shows it in their shop with a Buy link (and, to the designer alone, the royalties)."""

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PHONE, LiveServer
from tests.e2e.test_challenges import log_in
from tests.e2e.test_rewards import draft_product

pytestmark = pytest.mark.e2e


def fits_the_screen(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_member_searches_designs_on_a_phone_and_follows_the_designer(
    new_page, live_server: LiveServer, shoot
) -> None:
    seed = live_server.seed
    designer = seed.designers[1]
    member: Page = new_page(PHONE)
    log_in(member, seed.members[1])

    member.get_by_text("Menu").click()
    member.get_by_role("link", name="Find designs").click()
    expect(member.get_by_role("heading", level=1)).to_have_text("Find designs")
    member.get_by_label("Search designs").fill(f"winter {designer.display_name.split()[1]}")
    member.get_by_label("Sort by").select_option("newest")
    member.get_by_role("button", name="Search").click()
    results = member.locator("#results")
    # The unfiltered list is on the page until the search's answer replaces it, so every check here waits.
    expect(member).to_have_url(re.compile(r"/designs\?q=winter"))
    expect(results.get_by_text("by Ada Designs")).to_have_count(0)  # every word must match: only Ben's designs
    expect(results.get_by_role("status")).to_contain_text("Page 1:")
    expect(results.get_by_text(f"by {designer.display_name}").first).to_be_visible()
    # The form keeps what was asked, and the address can be shared.
    expect(member.get_by_label("Search designs")).to_have_value(f"winter {designer.display_name.split()[1]}")
    assert fits_the_screen(member)
    shoot(member, "designs-search", sizes=("phone",))

    results.get_by_role("listitem").first.get_by_role("link").first.click()
    expect(member).to_have_url(re.compile(r"/designs/\d+$"))
    expect(member.get_by_role("link", name=designer.display_name)).to_be_visible()
    box = member.locator(f"#follow-{designer.handle}")
    before = int(box.locator(".follower-count").inner_text().split()[0])
    member.evaluate("window.chorusNotReloaded = true")
    box.get_by_role("button", name="Follow").click()
    box = member.locator(f"#follow-{designer.handle}")
    expect(box.get_by_role("button", name="Following ✓")).to_have_attribute("aria-pressed", "true")
    expect(box.locator(".follower-count")).to_have_text(re.compile(rf"^{before + 1} follower"))
    assert member.evaluate("window.chorusNotReloaded") is True, "following reloaded the page"
    assert fits_the_screen(member)

    # The portfolio counts them too; the member can stop following there.
    member.goto(f"/u/{designer.handle}/designs")
    portfolio_box = member.locator(f"#follow-{designer.handle}")
    expect(portfolio_box.locator(".follower-count")).to_have_text(re.compile(rf"^{before + 1} follower"))
    portfolio_box.get_by_role("button", name="Following ✓").click()
    expect(member.locator(f"#follow-{designer.handle}").get_by_role("button", name="Follow")).to_be_visible()


def test_the_designers_portfolio_shows_their_shop(new_page, live_server: LiveServer, shoot) -> None:
    seed = live_server.seed
    designer = seed.designers[2]
    name = f"Harbour label tee {secrets.token_hex(2)}"
    store_url = f"https://shop.harbour.example/{secrets.token_hex(3)}"
    draft_product(live_server, designer_handle=designer.handle, name=name)

    manager: Page = new_page()
    log_in(manager, seed.manager)
    manager.goto(f"/brands/{seed.brand_slug}/rewards")
    manager.get_by_role("link", name=name).click()
    manager.get_by_label("Price").fill("29.00")
    manager.get_by_label("Store address").fill("javascript:alert(1)")
    manager.get_by_label("Live: on sale, and sales earn royalties").check()
    manager.get_by_role("button", name="Save the terms").click()
    expect(manager.get_by_text("starting with https://").first).to_be_visible()
    expect(manager.get_by_label("Store address")).to_have_value("javascript:alert(1)")
    manager.get_by_label("Store address").fill(store_url)
    manager.get_by_role("button", name="Save the terms").click()
    expect(manager.get_by_role("status")).to_have_text(f"{name} is live: sales of it now earn royalties.")

    visitor: Page = new_page(PHONE)
    visitor.goto(f"/u/{designer.handle}/designs")
    shop = visitor.get_by_role("region", name="Shop")
    item = shop.get_by_role("listitem").filter(has_text=name)
    expect(item).to_contain_text("€29.00")
    expect(item.get_by_role("link", name=f"Buy {name} from {seed.brand_name}")).to_have_attribute("href", store_url)
    expect(visitor.get_by_text("Your royalties per product")).to_have_count(0)
    assert fits_the_screen(visitor)
    shoot(visitor, "designer-shop", sizes=("phone", "desktop"))

    own: Page = new_page()
    log_in(own, designer)
    own.goto(f"/u/{designer.handle}/designs")
    expect(own.get_by_role("heading", name="Your royalties per product")).to_be_visible()
