"""Journeys through the real server in Chromium: from sign-up to joining a community, the login page on a
phone, and the staff area as a manager and as a plain member."""

import re
import secrets

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import PHONE, LiveServer, Person

pytestmark = pytest.mark.e2e


def main_nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main")


def log_in(page: Page, person: Person) -> None:
    page.goto("/login")
    page.get_by_label("E-mail address or handle").fill(person.handle)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status")).to_contain_text(f"Welcome back, {person.display_name}.")
    # On a phone the link is in the closed menu: there, but not shown.
    expect(main_nav(page).get_by_role("link", name="Profile", include_hidden=True)).to_have_count(1)


def test_a_visitor_signs_up_confirms_logs_in_and_joins_a_community(new_page, live_server: LiveServer, shoot) -> None:
    seed = live_server.seed
    page: Page = new_page()
    suffix = secrets.token_hex(3)  # the server lives for the whole session: a rerun must not collide
    email, handle, name = f"river.{suffix}@example.test", f"river_{suffix}", "River Walker"
    password = "copper-meadow-violin-81"

    # The home page, as a visitor.
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Make products with the brands you love")
    expect(page.get_by_role("link", name=seed.community_name)).to_be_visible()
    shoot(page, "home-visitor")

    # Sign up, first with a taken handle and a weak password: the form comes back with both errors and the
    # e-mail address as typed.
    main_nav(page).get_by_role("link", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/signup$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Join Chorus")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Handle").fill(seed.members[0].handle)
    page.get_by_label("Name to show").fill(name)
    page.get_by_label("Password").fill("password1234")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("alert")).to_have_text("Please correct the marked fields.")
    expect(page.locator("#handle-error")).to_have_text("That handle is taken; choose another.")
    expect(page.get_by_label("Handle")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#password-error")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("E-mail address")).to_have_value(email)
    expect(page.get_by_label("Name to show")).to_have_value(name)
    expect(page.get_by_label("Password")).to_have_value("")  # never sent back
    shoot(page, "signup-error")

    page.get_by_label("Handle").fill(handle)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    expect(page.get_by_text(f"We sent a confirmation link to {email}.")).to_be_visible()
    shoot(page, "signup-done", sizes=("phone",))

    # Logging in before confirming is refused with a reason.
    page.goto("/login")
    page.get_by_label("E-mail address or handle").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Confirm your e-mail address first")

    # The confirmation e-mail, read in the development outbox.
    page.goto("/dev/outbox")
    expect(page.get_by_role("heading", level=1)).to_have_text("Outbox")
    row = page.get_by_role("row").filter(has_text=email)
    row.get_by_role("link", name="Confirm your e-mail address for Chorus").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your e-mail address for Chorus")
    expect(page.get_by_text(f"To {email}")).to_be_visible()
    shoot(page, "outbox-email")
    confirm_link = page.locator(".email-body").get_by_role("link")
    expect(confirm_link).to_have_text(re.compile("^" + re.escape(f"{live_server.url}/confirm/").replace("/", r"\x2f")))
    confirm_link.click()
    # Confirming signs the new member in and takes them home.
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("status")).to_contain_text("Your e-mail address is confirmed.")
    expect(main_nav(page).get_by_role("link", name="Profile")).to_be_visible()
    expect(main_nav(page).get_by_role("link", name="Sign up")).to_have_count(0)

    # Later, logging out and in again with the e-mail address.
    main_nav(page).get_by_role("button", name="Log out").click()
    page.goto("/login")
    page.get_by_label("E-mail address or handle").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status")).to_contain_text(f"Welcome back, {name}.")
    expect(main_nav(page).get_by_role("link", name="Profile")).to_be_visible()

    # Open the community from the home page and join it.
    page.get_by_role("link", name=seed.community_name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(seed.community_name)
    expect(page.get_by_text(seed.community_tagline)).to_be_visible()
    member_count = page.get_by_text(re.compile(r"^\d+ members?$"))
    expect(member_count).to_be_visible()
    members_before = int(member_count.inner_text().split()[0])
    shoot(page, "community-before-joining")
    page.get_by_role("button", name=f"Join {seed.community_name}").click()
    expect(page.get_by_text("You are a member")).to_be_visible()
    expect(page.get_by_role("button", name="Leave")).to_be_visible()
    expect(page.get_by_role("button", name=f"Join {seed.community_name}")).to_have_count(0)
    shoot(page, "community-member")
    page.reload()
    expect(page.get_by_text("You are a member")).to_be_visible()
    expect(member_count).to_have_text(f"{members_before + 1} members")

    # The home page lists it under "Your communities", and so does the profile.
    page.goto("/")
    your_communities = page.locator("section").filter(has=page.get_by_role("heading", name="Your communities"))
    expect(your_communities.get_by_role("link", name=seed.community_name)).to_be_visible()
    shoot(page, "home-member")
    main_nav(page).get_by_role("link", name="Profile").click()
    expect(page).to_have_url(re.compile(f"/u/{handle}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_text(f"@{handle}")).to_be_visible()
    communities = page.locator("section").filter(has=page.get_by_role("heading", name="Communities"))
    expect(communities.get_by_role("link", name=seed.community_name)).to_be_visible()
    shoot(page, "profile")


def test_the_login_page_fits_a_phone_and_its_fields_are_labelled(new_page, shoot) -> None:
    page: Page = new_page(viewport=PHONE)
    page.goto("/login")
    login_field = page.get_by_label("E-mail address or handle")
    password_field = page.get_by_label("Password", exact=False)
    expect(login_field).to_be_visible()
    expect(login_field).to_have_attribute("autocomplete", "username")
    expect(password_field).to_be_visible()
    expect(password_field).to_have_attribute("type", "password")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"the page scrolls sideways: {scroll_width}px wide in {inner_width}px"
    shoot(page, "login", sizes=("phone",))


def test_a_manager_sees_the_staff_area_and_members_and_a_member_gets_a_404(
    new_page, live_server: LiveServer, shoot
) -> None:
    seed = live_server.seed

    manager: Page = new_page()
    log_in(manager, seed.manager)
    expect(manager.get_by_role("heading", name="Your brands")).to_be_visible()
    manager.goto(f"/brands/{seed.brand_slug}")
    expect(manager.get_by_role("heading", level=1)).to_have_text(seed.brand_name)
    expect(manager.get_by_text("Staff area · you are owner")).to_be_visible()
    row = manager.get_by_role("row").filter(has=manager.get_by_role("link", name=seed.community_name))
    expect(row.get_by_role("cell").nth(1)).to_have_text("Feedback and sampling")
    expect(row.get_by_role("cell").nth(2)).to_have_text("Anyone (public)")
    shoot(manager, "staff-area")
    row.get_by_role("link", name="Members").click()
    expect(manager).to_have_url(re.compile(f"/c/{seed.community_slug}/members$"))
    expect(manager.get_by_role("heading", level=1)).to_have_text("Members")
    expect(manager.get_by_text(re.compile(r"^\d+ members\.$"))).to_be_visible()
    table = manager.get_by_role("table", name=f"Members of {seed.community_name}")
    for person in seed.members:
        member_row = table.get_by_role("row").filter(has=manager.get_by_role("link", name=person.display_name))
        expect(member_row).to_contain_text(f"@{person.handle}")
        expect(member_row.get_by_label(f"Role of @{person.handle}")).to_have_value("member")
    shoot(manager, "members")

    # Searching narrows the list without a page load (htmx).
    manager.get_by_label("Search by name or handle").fill("kwame")
    expect(table.get_by_role("link", name="Kwame Mensah")).to_be_visible()
    expect(table.get_by_role("link", name="Milo Member")).to_have_count(0)
    expect(manager).to_have_url(re.compile(r"q=kwame"))

    member: Page = new_page()
    log_in(member, seed.members[0])
    response = member.goto(f"/brands/{seed.brand_slug}")
    assert response is not None and response.status == 404
    expect(member.get_by_role("heading", level=1)).to_have_text("Not Found")
    expect(member.get_by_text("There is no such brand.")).to_be_visible()
    expect(member.get_by_text(seed.brand_name)).to_have_count(0)
    shoot(member, "brand-404", sizes=("desktop",))
    response = member.goto(f"/c/{seed.community_slug}/members")
    assert response is not None and response.status == 403
    expect(member.get_by_text("Your role does not allow this.")).to_be_visible()
