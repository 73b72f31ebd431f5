"""Journeys for issue #8 (part 2): a manager's webhook delivered by the server's own worker threads, signed; a
member's notification settings on a phone; an unsubscribe link opened without logging in."""

import re

import pytest
from playwright.sync_api import Page, expect

from app.accounts import service as accounts_service
from app.db import build_engine, session_scope
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind
from app.webhooks.service import verify_signature
from tests.e2e.conftest import PHONE, LiveServer, Person
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
        page.get_by_role("checkbox", name=re.compile("A comment is posted")).check()
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


READER = Person("rhea@example.test", "rhea_reader", "Rhea Reader")


def _notifications_for_a_designer(server: LiveServer) -> None:
    """Six royalties, three comments on one design and one long comment on another, all today, for Rhea."""
    engine = build_engine(server.database_url)
    try:
        with session_scope(engine) as session:
            reader = accounts_service.create_user(
                session,
                email=READER.email,
                handle=READER.handle,
                password=READER.password,
                display_name=READER.display_name,
            )
            for minor in (50, 64, 100, 100, 50, 50):
                notifications_service.notify(
                    session,
                    user=reader,
                    kind=NotificationKind.royalty_earned,
                    text="You earned a royalty: 1 x Harbour mug sold",
                    link="/me/earnings",
                    rollup=notifications_service.Rollup(
                        subject="earnings",
                        text="You earned {amount} royalties from {count} sales {day}",
                        amount_minor=minor,
                        currency="EUR",
                    ),
                )
            for design, times in (
                ("Harvest moon", 3),
                ("A very long title for a label with waves, gulls and a lighthouse", 1),
            ):
                for _ in range(times):
                    notifications_service.notify(
                        session,
                        user=reader,
                        kind=NotificationKind.design_comment,
                        text=f"Milo Member commented on your design {design}",
                        link="/",
                        rollup=notifications_service.Rollup(
                            subject=f"design:{design}", text=f"{{count}} new comments on your design {design}"
                        ),
                    )
    finally:
        engine.dispose()


def test_notifications_roll_up_with_the_date_on_the_same_line_on_a_phone(
    new_page, live_server: LiveServer, shoot
) -> None:
    _notifications_for_a_designer(live_server)
    page: Page = new_page(viewport=PHONE)
    log_in(page, READER)
    expect(page.locator("#bell .badge")).to_have_text("3")
    page.locator("#bell").click()
    lines = page.locator(".notification")
    expect(lines).to_have_count(3)
    expect(lines.nth(0)).to_contain_text("Milo Member commented on your design A very long title")
    expect(lines.nth(1)).to_contain_text("3 new comments on your design Harvest moon")
    expect(lines.nth(2)).to_contain_text("You earned €4.14 royalties from 6 sales today")
    for index in range(3):
        text = lines.nth(index).locator(".notification-text").bounding_box()
        when = lines.nth(index).locator("time").bounding_box()
        assert text is not None and when is not None
        # The date sits at the end of the text's first line, not under it.
        assert abs(when["y"] - text["y"]) < when["height"], f"line {index}: the date is not on the text's line"
        assert when["x"] > text["x"] + text["width"] - 1
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways at {PHONE['width']} px ({width} px wide)"
    shoot(page, "notifications-rolled-up")

    # Reading the royalties line reads all six: the bell counts the lines left.
    lines.nth(2).get_by_role("button").click()
    page.goto("/notifications")
    expect(page.locator("#bell .badge")).to_have_text("2")
    expect(page.locator(".notification-unread")).to_have_count(2)
