"""Pre-orders in the browser: a member pledges on a phone and watches the bar move; a manager opens a pre-order
and, once it is funded, downloads the fulfilment CSV."""

import secrets
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import col, select

from app.accounts.models import User
from app.brands import service as brands_service
from app.campaigns.households import Address
from app.challenges.models import Challenge, Design, Product, ProductStatus
from app.columns import utcnow
from app.communities.models import Community
from app.db import build_engine, session_scope
from app.preorders import pledges
from app.preorders import service as preorders_service
from tests.e2e.conftest import PHONE, LiveServer
from tests.e2e.test_challenges import log_in

pytestmark = pytest.mark.e2e


def product_of_a_design(server: LiveServer, *, name: str) -> int:
    """A draft product of the brand made from one of the scoring challenge's designs, as picking a winner makes one."""
    engine = build_engine(server.database_url)
    try:
        with session_scope(engine) as session:
            brand = brands_service.get_brand_by_slug(session, slug=server.seed.brand_slug)
            taken = select(Product.design_id).where(col(Product.design_id).is_not(None))
            design = session.exec(
                select(Design)
                .join(Challenge, col(Challenge.id) == Design.challenge_id)
                .where(Challenge.slug == server.seed.scoring_challenge_slug, col(Design.id).not_in(taken))
                .order_by(col(Design.id))
            ).first()
            assert design is not None
            product = Product(
                brand_id=brand.id or 0,
                name=name,
                status=ProductStatus.draft,
                design_id=design.id,
                designer_id=design.designer_id,
            )
            session.add(product)
            session.flush()
            return product.id or 0
    finally:
        engine.dispose()


def open_for_preorder(server: LiveServer, product_id: int, *, target: int) -> None:
    """The manager's opening, through the service (test setup for the member's journey)."""
    engine = build_engine(server.database_url)
    try:
        with session_scope(engine) as session:
            brand = brands_service.get_brand_by_slug(session, slug=server.seed.brand_slug)
            manager = session.exec(select(User).where(User.handle == server.seed.manager.handle)).one()
            product = session.get(Product, product_id)
            assert product is not None
            preorders_service.open_preorder(
                session,
                brand=brand,
                product=product,
                actor=manager,
                fields=preorders_service.PreorderFields(
                    target_count=target,
                    deadline_at=utcnow() + timedelta(days=4, hours=1),
                    price="24.00",
                    variants=["S", "M", "L"],
                ),
            )
    finally:
        engine.dispose()


def pledge_as(server: LiveServer, product_id: int, *, handle: str, quantity: int, variant: str = "M") -> None:
    """Another member's pledge, through the service (test setup)."""
    engine = build_engine(server.database_url)
    try:
        with session_scope(engine) as session:
            product = session.get(Product, product_id)
            assert product is not None
            preorder = preorders_service.get_preorder(session, product=product)
            assert preorder is not None
            community = session.get(Community, preorder.community_id)
            member = session.exec(select(User).where(User.handle == handle)).one()
            assert community is not None
            pledges.pledge(
                session, preorder=preorder, community=community, user=member, variant=variant, quantity=quantity,
                address=Address(recipient_name="Ines Costa", address_line1="4 Rua Nova", city="Porto", country="PT"),
            )  # fmt: skip
    finally:
        engine.dispose()


def test_a_member_pledges_on_a_phone_and_watches_the_bar_move(new_page, live_server: LiveServer, shoot) -> None:
    seed = live_server.seed
    name = f"Harbour label tee {secrets.token_hex(2)}"
    product_id = product_of_a_design(live_server, name=name)
    open_for_preorder(live_server, product_id, target=5)
    url = f"/c/{seed.design_community_slug}/products/{product_id}"

    member: Page = new_page(viewport=PHONE)
    log_in(member, seed.members[0])
    member.goto(url)
    expect(member.get_by_role("heading", level=1)).to_have_text(name)
    expect(member.get_by_role("img")).to_have_count(1)
    bar = member.get_by_role("progressbar")
    expect(bar).to_have_attribute("value", "0")
    expect(member.locator("#preorder-progress-text")).to_contain_text("0 of 5, 4 days left")
    member.get_by_label("Variant").select_option("L")
    member.get_by_label("Quantity").fill("2")
    member.get_by_label("Name on the parcel").fill("Milo Member")
    member.get_by_label("Street address").fill("7 Quay Street")
    member.get_by_label("Town or city").fill("Leith")
    member.get_by_label("Country code").fill("GB")
    member.get_by_role("button", name="Pledge").click()
    expect(member.locator("#preorder-progress-text")).to_contain_text("2 of 5")  # swapped in place by htmx
    expect(bar).to_have_attribute("value", "2")
    expect(member.get_by_role("status")).to_contain_text("your pledge is in")
    expect(member.get_by_text("Your pledge: L, 2 x €24.00 = €48.00")).to_be_visible()
    assert member.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(member, "preorder-pledged", sizes=("phone",))

    # Someone else pledges; the member sees the bar move again, then changes their pledge to fund it.
    pledge_as(live_server, product_id, handle=seed.members[1].handle, quantity=1)
    member.reload()
    expect(member.locator("#preorder-progress-text")).to_contain_text("3 of 5")
    member.get_by_label("Quantity").fill("4")
    member.get_by_role("button", name="Change my pledge").click()
    expect(member.locator("#preorder-progress-text")).to_contain_text("5 of 5")
    expect(member.locator("#preorder-progress-text")).to_contain_text("Funded")
    expect(member.get_by_role("button", name="Withdraw my pledge")).to_have_count(0)  # funded: pledges stand


def test_a_manager_opens_a_preorder_and_downloads_the_funded_csv(new_page, live_server: LiveServer, shoot) -> None:
    seed = live_server.seed
    name = f"Harbour label mug {secrets.token_hex(2)}"
    product_id = product_of_a_design(live_server, name=name)

    manager: Page = new_page()
    log_in(manager, seed.manager)
    manager.goto(f"/brands/{seed.brand_slug}/rewards/products/{product_id}")
    manager.get_by_role("link", name="Pre-order").click()
    manager.get_by_label("Target (items pledged)").fill("two")
    manager.get_by_label("Price per item (EUR)").fill("18.50")
    deadline = (utcnow() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    manager.get_by_label("Deadline (UTC)").fill(deadline)
    manager.get_by_label("Variants").fill("Small, Large")
    manager.get_by_role("button", name="Open the pre-order").click()
    expect(manager.get_by_role("alert")).to_contain_text("Please correct the marked fields.")
    expect(manager.get_by_label("Variants")).to_have_value("Small, Large")  # what was typed stays
    manager.get_by_label("Target (items pledged)").fill("2")
    manager.get_by_role("button", name="Open the pre-order").click()
    expect(manager.get_by_role("status")).to_contain_text("is on pre-order")
    expect(manager.locator("#manage-progress-text")).to_contain_text("0 of 2")
    expect(manager.get_by_text("The fulfilment CSV, with the pledgers' addresses, is ready once")).to_be_visible()

    pledge_as(live_server, product_id, handle=seed.members[1].handle, quantity=2, variant="Large")
    manager.reload()
    expect(manager.locator("#manage-progress-text")).to_contain_text("2 of 2")
    expect(manager.locator("#manage-progress-text")).to_contain_text("funded")
    shoot(manager, "preorder-manage", sizes=("desktop",))
    with manager.expect_download() as download_info:
        manager.get_by_role("link", name="Download the fulfilment CSV").click()
    content = download_info.value.path().read_text()
    lines = content.strip().splitlines()
    assert lines[0].startswith("pledge_id,product,member,recipient_name,address_line1")
    assert len(lines) == 2
    assert seed.members[1].handle in lines[1] and "4 Rua Nova" in lines[1] and "2 x " in lines[1]
