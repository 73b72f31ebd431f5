"""Journeys for issue #22's webhooks: on a phone, a manager chooses an endpoint's events by domain and sends a test
of one of them, which the server's own worker delivers signed and marked as a test; anyone reads the events' list."""

import json
import re

import pytest
from playwright.sync_api import Page, expect

from app.webhooks.models import SUBSCRIBABLE_EVENTS
from app.webhooks.service import verify_signature
from tests.e2e.conftest import PHONE, LiveServer
from tests.e2e.test_journeys import log_in
from tests.webhooks.factories import running_receiver

pytestmark = pytest.mark.e2e


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways at {PHONE['width']} px ({width} px wide)"


def test_a_manager_chooses_events_and_tests_one_on_a_phone(new_page, live_server: LiveServer, shoot) -> None:
    seed = live_server.seed
    page: Page = new_page(viewport=PHONE)
    log_in(page, seed.manager)
    page.goto(f"/brands/{seed.brand_slug}/webhooks")

    with running_receiver() as receiver:
        page.get_by_label("URL").fill(receiver.url)
        page.get_by_label("Description").fill("Phone test")
        for box in page.get_by_role("checkbox").all():
            box.uncheck()
        page.get_by_role("group", name="Campaigns").get_by_role("checkbox", name=re.compile("A kit ships")).check()
        page.get_by_role("button", name="Register").click()
        expect(page.get_by_role("status")).to_contain_text("Copy its signing secret")
        page.get_by_text("Signing secret", exact=True).click()
        secret = page.locator("code.secret").inner_text()

        # The events, grouped by domain: add two of the rewards, drop the kit, save.
        events = page.get_by_role("group", name="Events")
        expect(events.get_by_role("checkbox")).to_have_count(len(SUBSCRIBABLE_EVENTS))
        rewards = events.get_by_role("group", name="Rewards")
        rewards.get_by_role("checkbox", name=re.compile("A sale is recorded")).check()
        rewards.get_by_role("checkbox", name=re.compile("A payout is paid")).check()
        events.get_by_role("group", name="Campaigns").get_by_role("checkbox", name=re.compile("A kit ships")).uncheck()
        _no_sideways_scroll(page)
        shoot(page, "webhook-events-phone")
        page.get_by_role("button", name="Save events").click()
        expect(page.get_by_role("status")).to_contain_text("Events saved.")
        expect(page.get_by_text("2 events")).to_be_visible()
        expect(page.get_by_role("checkbox", name=re.compile("A sale is recorded"))).to_be_checked()
        expect(page.get_by_role("checkbox", name=re.compile("A kit ships"))).not_to_be_checked()

        # A test of one event, with its documented example, through the in-process worker.
        page.get_by_label("Send a test of").select_option("sale_recorded")
        page.get_by_role("button", name="Send test event").click()
        log = page.locator("#deliveries")
        expect(log).to_contain_text("sale_recorded")
        expect(log.locator(".badge", has_text="test")).to_have_count(1)
        polls = 0
        while not receiver.requests and polls < 100:
            page.wait_for_timeout(100)
            polls += 1
        (request,) = receiver.requests
    assert verify_signature(secret=secret, header=request.headers["X-Chorus-Signature"], body=request.body)
    body = json.loads(request.body)
    assert (body["event"], body["test"], body["version"]) == ("sale_recorded", True, 1)
    assert body["data"]["sale"]["currency"] == "EUR" and isinstance(body["data"]["sale"]["net_minor"], int)
    page.get_by_role("link", name="Refresh").click()
    expect(log).to_contain_text("HTTP 200")
    _no_sideways_scroll(page)
    shoot(page, "webhook-test-delivered-phone")

    # What each event sends, for the receiver's developers: linked from the page, readable without logging in.
    page.get_by_role("link", name="What each event sends").click()
    expect(page.get_by_role("heading", name="Webhook events", level=1)).to_be_visible()
    expect(page.locator("article#payout_paid")).to_contain_text('"amount_minor"')
    _no_sideways_scroll(page)
    shoot(page, "webhook-event-list-phone")
