"""Royalties to payout in the browser: the manager puts a winning design's product on sale and uploads a sales file,
the designer sees the royalty, the manager runs a payout batch and marks it paid, and the designer sees "paid"."""

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

from app.brands import service as brands_service
from app.challenges.models import Product, ProductStatus
from app.db import build_engine, session_scope
from tests.e2e.conftest import PHONE, LiveServer
from tests.e2e.test_challenges import log_in

pytestmark = pytest.mark.e2e


def draft_product(server: LiveServer, *, designer_handle: str, name: str) -> int:
    """A draft product of the brand made from a member's design, as picking a winner makes one (test setup)."""
    from sqlmodel import select

    from app.accounts.models import User

    engine = build_engine(server.database_url)
    try:
        with session_scope(engine) as session:
            brand = brands_service.get_brand_by_slug(session, slug=server.seed.brand_slug)
            designer = session.exec(select(User).where(User.handle == designer_handle)).one()
            product = Product(brand_id=brand.id or 0, name=name, status=ProductStatus.draft, designer_id=designer.id)
            session.add(product)
            session.flush()
            return product.id or 0
    finally:
        engine.dispose()


def test_a_sales_file_becomes_a_royalty_and_a_paid_payout(new_page, live_server: LiveServer, shoot) -> None:
    seed = live_server.seed
    designer_person = seed.members[2]
    name = f"Harbour mug {secrets.token_hex(2)}"
    product_id = draft_product(live_server, designer_handle=designer_person.handle, name=name)
    rewards_url = f"/brands/{seed.brand_slug}/rewards"

    # The manager: no holding period for this test's brand, then the product's terms, live.
    manager: Page = new_page()
    log_in(manager, seed.manager)
    manager.goto(f"/brands/{seed.brand_slug}")
    manager.get_by_role("link", name="Rewards").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text(f"{seed.brand_name}: rewards")
    manager.get_by_label("Holding period (days)").fill("0")
    manager.get_by_role("button", name="Save the rules").click()
    expect(manager.get_by_role("status")).to_have_text("The reward settings are saved.")
    manager.get_by_role("link", name=name).click()
    manager.get_by_label("Price").fill("20.00")
    manager.get_by_label("Percentage (%)").fill("10")
    manager.get_by_label("Live: on sale, and sales earn royalties").check()
    manager.get_by_role("button", name="Save the terms").click()
    expect(manager.get_by_role("status")).to_have_text(f"{name} is live: sales of it now earn royalties.")

    # A file with a bad row is refused whole; the corrected one is recorded.
    manager.goto(f"{rewards_url}/sales")
    header = "order_id,product_id,quantity,unit_price,currency,referral_code\n"
    bad = f"{header}M-1,{product_id},10,20.00,EUR,\nM-2,{product_id},two,20.00,EUR,\n"
    manager.get_by_label("Sales file (CSV)").set_input_files(
        files=[{"name": "sales.csv", "mimeType": "text/csv", "buffer": bad.encode()}]
    )
    manager.get_by_role("button", name="Upload").click()
    expect(manager.get_by_role("alert")).to_contain_text("nothing was recorded")
    expect(manager.get_by_text(re.compile(r"Row 3: quantity"))).to_be_visible()
    good = f"{header}M-1,{product_id},10,20.00,EUR,\n"
    manager.get_by_label("Sales file (CSV)").set_input_files(
        files=[{"name": "sales.csv", "mimeType": "text/csv", "buffer": good.encode()}]
    )
    manager.get_by_role("button", name="Upload").click()
    expect(manager.get_by_role("status")).to_have_text("1 sale line recorded.")
    expect(manager.get_by_role("row").filter(has_text="M-1")).to_contain_text("€20.00")
    shoot(manager, "rewards-sales", sizes=("desktop",))

    # The designer sees the royalty.
    designer: Page = new_page()
    log_in(designer, designer_person)
    designer.get_by_role("link", name="Earnings").click()
    expect(designer.get_by_role("heading", level=1)).to_have_text("Your earnings")
    expect(designer.get_by_role("cell", name=f"10 x {name}, order M-1")).to_be_visible()
    expect(designer.get_by_text("€20.00").first).to_be_visible()

    # The manager opens a payout batch, reviews it and marks it paid.
    manager.goto(f"{rewards_url}/payouts")
    manager.get_by_role("button", name="Open a payout batch").click()
    expect(manager.get_by_role("status")).to_contain_text("is open")
    line = manager.get_by_role("row").filter(has_text=f"@{designer_person.handle}")
    expect(line).to_contain_text("€20.00")
    expect(manager.get_by_role("link", name="Export CSV for mass payment")).to_be_visible()
    shoot(manager, "rewards-batch", sizes=("desktop",))
    asked: list[str] = []  # members are told they were paid: the page asks first
    manager.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    manager.get_by_role("button", name="Mark all paid").click()
    expect(manager.locator("#batch-lines")).to_contain_text("closed")
    expect(line).to_contain_text("paid")
    assert asked and "Mark every line" in asked[0]

    # The designer sees "paid", at phone width too.
    designer.reload()
    payouts = designer.get_by_role("row").filter(has_text=seed.brand_name).filter(has_text="€20.00")
    expect(payouts.first).to_contain_text("paid")
    designer.set_viewport_size(PHONE)
    assert designer.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(designer, "rewards-earnings")
