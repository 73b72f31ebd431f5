"""Journeys for issue #8 (part 2): a manager's webhook delivered by the server's own worker threads, signed; a
member's notification settings on a phone; an unsubscribe link opened without logging in."""

import re

import pytest
from playwright.sync_api import Page, expect

from app.webhooks.service import verify_signature
from tests.e2e.conftest import PHONE, LiveServer
from tests.e2e.test_journeys import log_in
from tests.webhooks.factories import running_receiver

pytestmark = pytest.mark.e2e


def test_a_manager_registers_a_webhook_and_a_test_event_arrives_signed(
    new_page, live_server: LiveServer, shoot
) -> None:
    seed = live_server.seed
    page: Page = new_page()
    log_in(page, seed.manager)
    page.goto(f"/brands/{seed.brand_slug}")
    page.get_by_role("navigation", name="Staff area").get_by_role("link", name="Webhooks").click()
    expect(page).to_have_url(re.compile(rf"/brands/{seed.brand_slug}/webhooks$"))

    with running_receiver() as receiver:
        # Nothing chosen: the form comes back with the URL as typed and the events' error.
        page.get_by_label("URL").fill(receiver.url)
        for box in page.get_by_role("checkbox").all():
            box.uncheck()
        page.get_by_role("button", name="Register").click()
        expect(page.get_by_role("alert")).to_have_text("Please correct the marked fields.")
        expect(page.get_by_label("URL")).to_have_value(receiver.url)
        page.get_by_role("checkbox", name=re.compile("A design gets a comment")).check()
        page.get_by_role("button", name="Register").click()
        expect(page.get_by_role("status")).to_contain_text("Copy its signing secret")
        page.get_by_text("Signing secret", exact=True).click()
        secret = page.locator("code.secret").inner_text()
        assert secret.startswith("whsec_")
        shoot(page, "webhook-endpoint")

        # The test event goes through the task queue: the server's in-process worker sends it.
        page.get_by_role("button", name="Send test event").click()
        expect(page.locator("#deliveries")).to_contain_text("ping")
        deadline_polls = 0
        while not receiver.requests and deadline_polls < 100:
            page.wait_for_timeout(100)
            deadline_polls += 1
        (request,) = receiver.requests
    assert request.headers["X-Chorus-Event"] == "ping"
    assert verify_signature(secret=secret, header=request.headers["X-Chorus-Signature"], body=request.body)
    page.get_by_role("link", name="Refresh").click()
    expect(page.locator("#deliveries")).to_contain_text("delivered")
    expect(page.locator("#deliveries")).to_contain_text("HTTP 200")
    shoot(page, "webhook-delivered")


def test_a_member_chooses_digests_on_a_phone(new_page, live_server: LiveServer, shoot) -> None:
    member = live_server.seed.members[1]
    page: Page = new_page(viewport=PHONE)
    log_in(page, member)
    page.goto("/settings/notifications")
    group = page.get_by_role("group", name="Comments on your designs")
    expect(group.get_by_role("radio", name=re.compile("Daily digest"))).to_be_checked()  # the default
    group.get_by_role("radio", name=re.compile("Weekly digest")).check()
    page.get_by_role("group", name="Replies to your comments").get_by_role("radio", name=re.compile("Never")).check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Notification settings saved.")
    comments = page.get_by_role("group", name="Comments on your designs")
    expect(comments.get_by_role("radio", name=re.compile("Weekly"))).to_be_checked()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways at {PHONE['width']} px ({width} px wide)"
    shoot(page, "notification-settings-phone")


def test_a_broken_unsubscribe_link_says_so_without_asking_to_log_in(new_page, shoot) -> None:
    page: Page = new_page()
    response = page.goto("/unsubscribe/not-a-real-link")
    assert response is not None and response.status == 400
    expect(page.get_by_role("alert")).to_contain_text("This unsubscribe link is not valid")
    expect(page).to_have_url(re.compile("/unsubscribe/not-a-real-link$"))
    shoot(page, "unsubscribe-bad-link")
