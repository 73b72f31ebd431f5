"""A friend follows a member's referral link, signs up on a page that names the community, confirms the e-mail
address, and lands in that community as a member."""

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PHONE, LiveServer
from tests.e2e.test_journeys import log_in, main_nav

pytestmark = pytest.mark.e2e


def test_a_referred_friend_signs_up_confirms_and_lands_in_the_named_community(
    new_page, live_server: LiveServer, shoot
) -> None:
    seed = live_server.seed
    referrer = seed.members[0]
    member_page: Page = new_page()
    log_in(member_page, referrer)
    member_page.goto("/me/referrals")
    make_link = member_page.get_by_role("button", name="Make my link")
    if make_link.count():  # a rerun on the same server finds the link made already
        member_page.get_by_label("Brand").select_option(label=seed.brand_name)
        make_link.click()
    link_text = member_page.locator("section").filter(has_text=seed.brand_name).locator("code.wrap")
    expect(link_text).to_contain_text("/r/")
    referral_url = link_text.inner_text().strip()

    # A friend, on a phone, in a browser of their own.
    page: Page = new_page(PHONE)
    suffix = secrets.token_hex(3)
    email, handle = f"friend.{suffix}@example.test", f"friend_{suffix}"
    page.goto(referral_url.removeprefix(live_server.url))
    expect(page).to_have_url(re.compile(r"/signup$"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"^Join .+ on Chorus$"))
    community_name = heading.inner_text().removeprefix("Join ").removesuffix(" on Chorus")
    assert community_name in {seed.community_name, seed.design_community_name}
    shoot(page, "signup-through-referral")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Handle").fill(handle)
    page.get_by_label("Password").fill("copper-meadow-violin-81")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    expect(page.get_by_text(f"go on to {community_name}")).to_be_visible()

    page.goto("/dev/outbox")
    page.get_by_role("row").filter(has_text=email).get_by_role("link").first.click()
    page.locator(".email-body").get_by_role("link").click()

    # Confirmed, signed in, and a member of the community the sign-up page named.
    expect(page.get_by_role("heading", level=1)).to_have_text(community_name)
    expect(page.get_by_role("status")).to_contain_text(f"Welcome to {community_name}!")
    expect(page.get_by_text("You are a member")).to_be_visible()
    expect(main_nav(page).get_by_role("link", name="Profile", include_hidden=True)).to_have_count(1)
    shoot(page, "landed-in-community")

    # The referrer sees the sign-up in their funnel.
    member_page.goto("/me/referrals")
    funnel = member_page.locator("section").filter(has_text=seed.brand_name).get_by_role("list")
    expect(funnel.locator("li").filter(has_text="Sign-ups")).not_to_contain_text(re.compile(r"Sign-ups\s*0$"))
