"""Two-factor authentication in Chromium, at phone and desktop width: turn it on (reading the key off the page and
computing the code with pyotp), log out, log in with a code from the app, then with a recovery code through the
lost-device page; axe-core on each two-factor page (the code pages are reached only half signed in, so the
accessibility sweep cannot reach them)."""

import re
import secrets
import time
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, PASSWORD, PHONE, LiveServer

pytestmark = pytest.mark.e2e


def _make_member(server: LiveServer) -> tuple[str, str]:
    """A fresh account on the live server (the seeded people are shared with other journeys, which log in with the
    password alone): its handle and display name."""
    from app.accounts import service as accounts_service
    from app.db import build_engine, session_scope

    suffix = secrets.token_hex(3)
    handle, name = f"tess_{suffix}", f"Tess {suffix}"
    engine = build_engine(server.database_url)
    try:
        with session_scope(engine) as session:
            accounts_service.create_user(
                session, email=f"{handle}@example.test", handle=handle, password=PASSWORD, display_name=name
            )
    finally:
        engine.dispose()
    return handle, name


def _axe_violations(page: Page) -> list[dict[str, Any]]:
    from axe_playwright_python.sync_playwright import Axe

    return list(Axe().run(page, options={"resultTypes": ["violations"]}).response["violations"])


def _assert_accessible(page: Page) -> None:
    violations = _axe_violations(page)
    assert not violations, [(item["id"], [node["target"] for node in item["nodes"]]) for item in violations]


def _password_step(page: Page, handle: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail address or handle").fill(handle)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _log_out(page: Page) -> None:
    menu = page.locator("details.site-menu")
    if not menu.evaluate("element => element.open") and page.locator("details.site-menu > summary").is_visible():
        page.locator("details.site-menu > summary").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_contain_text("You are logged out.")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_enrol_then_log_in_with_a_code_and_with_a_recovery_code(
    new_page, live_server: LiveServer, shoot, viewport
) -> None:  # type: ignore[no-untyped-def]
    handle, name = _make_member(live_server)
    width = f"{viewport['width']}px"
    page: Page = new_page(viewport)

    # Log in with the password alone (two-factor is off), then turn it on under Settings.
    _password_step(page, handle)
    expect(page.get_by_role("status")).to_contain_text(f"Welcome back, {name}.")
    page.goto("/settings")
    page.get_by_role("link", name="Two-factor").click()
    expect(page.get_by_role("heading", name="Turn on two-factor authentication")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    _assert_accessible(page)
    shoot(page, f"two-factor-enrol-{width}", sizes=("phone" if viewport == PHONE else "desktop",))
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)

    # A wrong code first: the same key comes back with the error.
    page.get_by_label("6-digit code from the app").fill("000000" if totp.now() != "000000" else "111111")
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.locator("#code-error")).to_contain_text("does not match")
    expect(page.locator("#totp-secret")).to_have_text(re.compile(secret[:4]))
    page.get_by_label("6-digit code from the app").fill(totp.now())
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    _assert_accessible(page)
    shoot(page, f"two-factor-recovery-codes-{width}", sizes=("phone" if viewport == PHONE else "desktop",))
    page.get_by_role("link", name="I have saved them").click()
    expect(page.get_by_role("heading", name="Two-factor authentication is on")).to_be_visible()
    _log_out(page)

    # The password alone leads to the code page, not in.
    _password_step(page, handle)
    expect(page).to_have_url(re.compile(r"/login/two-factor"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    _assert_accessible(page)
    shoot(page, f"two-factor-code-{width}", sizes=("phone" if viewport == PHONE else "desktop",))
    # The code of the enrolment's step is used up; the next step's is good (one step either side is accepted).
    page.get_by_label("6-digit code").fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status")).to_contain_text(f"Welcome back, {name}.")
    _log_out(page)

    # A lost device: the recovery code page says what to do, with or without a code.
    _password_step(page, handle)
    page.get_by_role("link", name="Lost your device? Use a recovery code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Use a recovery code")
    expect(page.get_by_role("heading", name="No recovery code either?")).to_be_visible()
    _assert_accessible(page)
    shoot(page, f"two-factor-lost-device-{width}", sizes=("phone" if viewport == PHONE else "desktop",))
    page.get_by_label("Recovery code").fill(codes[0])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status")).to_contain_text("That recovery code is used up; 9 left.")
    page.goto("/settings/two-factor")
    expect(page.get_by_text("9 unused recovery codes")).to_be_visible()
    _assert_accessible(page)

    # The same recovery code does not work twice.
    _log_out(page)
    _password_step(page, handle)
    page.goto("/login/recovery")
    page.get_by_label("Recovery code").fill(codes[0])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("not right")
