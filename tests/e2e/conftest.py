"""Browser tests: the real server in a subprocess on a throw-away database, driven by Debian's Chromium.

One server per test session (so one per xdist worker, each on a free port of its own), seeded through the
services with a brand, its manager, a public community and a few members. Chromium is launched once per
session; each test gets fresh browser contexts (no cookies shared between tests).

Screenshots of the pages the journeys visit go to $CHORUS_E2E_SHOTS (default /tmp/chorus-shots; set it to an
empty string to take none).
"""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from app.config import get_settings
from app.db import ROOT_DIR, build_engine, session_scope
from tests import clock, databases

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Response, ViewportSize

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
DESKTOP: "ViewportSize" = {"width": 1280, "height": 800}
PHONE: "ViewportSize" = {"width": 390, "height": 844}
SHOTS_DIR = os.environ.get("CHORUS_E2E_SHOTS", "/tmp/chorus-shots")  # noqa: S108 (outside the checkout on purpose)
SERVER_START_SECONDS = 30
EXPECT_TIMEOUT_MS = 10_000

PASSWORD = "harbour-lantern-quartz-58"


@dataclass(frozen=True)
class Person:
    email: str
    handle: str
    display_name: str
    password: str = PASSWORD


@dataclass(frozen=True)
class Seed:
    brand_name: str = "Harbour Coffee"
    brand_slug: str = "harbour"
    community_name: str = "Harbour Tasting Club"
    community_slug: str = "harbour-tasting-club"
    community_tagline: str = "Taste new roasts first and tell us what to change."
    # A design community of the same brand with a challenge open for submissions (tests/e2e/test_challenges.py
    # moves its windows on).
    design_community_name: str = "Harbour Label Lab"
    design_community_slug: str = "harbour-label-lab"
    challenge_title: str = "Autumn roast labels"
    challenge_slug: str = "autumn-roast-labels"
    # A challenge of the design community in its scoring phase, with designs by the designers below (not the
    # members: their own designs would leave their stacks), for the scoring journeys.
    scoring_challenge_title: str = "Winter blend labels"
    scoring_challenge_slug: str = "winter-blend-labels"
    scoring_designs: int = 14
    designers: tuple[Person, ...] = (
        Person("ada.designs@example.test", "ada_designs", "Ada Designs"),
        Person("ben.draws@example.test", "ben_draws", "Ben Draws"),
        Person("cy.sketches@example.test", "cy_sketches", "Cy Sketches"),
    )
    # A sampling campaign of the feedback community taking applications (tests/e2e/test_campaigns.py sets up a
    # campaign of its own for sharing).
    applying_campaign_title: str = "Winter blend tasting kits"
    applying_campaign_slug: str = "winter-blend-tasting"
    manager: Person = Person("hana@harbour.test", "hana_manager", "Hana Manager")
    members: tuple[Person, ...] = (
        Person("milo@example.test", "milo_member", "Milo Member"),
        Person("ines@example.test", "ines_costa", "Inês Costa"),
        Person("kwame@example.test", "kwame_mensah", "Kwame Mensah"),
    )


@dataclass
class LiveServer:
    url: str
    seed: Seed
    log_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)
    database_url: str = field(default="", repr=False)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _seed(url: str, seed: Seed) -> None:
    """The brand, its manager, a public community and its members with a campaign taking applications, and a design
    community with a challenge open for submissions and one in its scoring phase, made through the services (design
    images go to this process's media directory, which the server is given)."""
    import io
    import random
    from datetime import timedelta

    from app.accounts import service as accounts_service
    from app.brands import service as brands_service
    from app.campaigns import lifecycle as campaign_lifecycle
    from app.challenges import designs as challenge_designs
    from app.challenges import service as challenges_service
    from app.columns import utcnow
    from app.communities import service as communities_service
    from app.communities.models import CommunityKind
    from seed.designs import artworks

    engine = build_engine(url)
    try:
        with session_scope(engine) as session:
            people = [seed.manager, *seed.members, *seed.designers]
            shared_hash = accounts_service.password_hasher.hash(PASSWORD)
            users = {
                person.handle: accounts_service.create_user(
                    session,
                    email=person.email,
                    handle=person.handle,
                    password=person.password,
                    display_name=person.display_name,
                    password_hash=shared_hash,
                )
                for person in people
            }
            brand, _ = brands_service.create_brand(
                session,
                name=seed.brand_name,
                slug=seed.brand_slug,
                description="Small-batch coffee, roasted with our community.",
                first_manager_email=seed.manager.email,
            )
            community = communities_service.create_community(
                session,
                brand=brand,
                name=seed.community_name,
                slug=seed.community_slug,
                kind=CommunityKind.feedback,
                tagline=seed.community_tagline,
                description="We send **tasting kits** to members before a roast goes on sale.",
            )
            for person in seed.members:
                communities_service.join_community(session, community=community, user=users[person.handle])
            now = utcnow()
            campaign = campaign_lifecycle.create_campaign(
                session,
                community=community,
                created_by=users[seed.manager.handle],
                slug=seed.applying_campaign_slug,
                fields=campaign_lifecycle.CampaignFields(
                    title=seed.applying_campaign_title,
                    product_name="Harbour Winter Blend",
                    kit_count=20,
                    kit_contents="A bag of Winter Blend for you and 10 sample sachets",
                    apply_opens_at=now - timedelta(days=1),
                    apply_closes_at=now + timedelta(days=10),
                    ship_closes_at=now + timedelta(days=20),
                    share_closes_at=now + timedelta(days=30),
                    feedback_closes_at=now + timedelta(days=40),
                ),
            )
            campaign_lifecycle.publish_campaign(session, campaign=campaign)
            design_lab = communities_service.create_community(
                session,
                brand=brand,
                name=seed.design_community_name,
                slug=seed.design_community_slug,
                kind=CommunityKind.design,
                tagline="Design the labels on our bags.",
                description="Each season's roasts get a label designed by a member.",
            )
            for person in seed.members:
                communities_service.join_community(session, community=design_lab, user=users[person.handle])
            challenge = challenges_service.create_challenge(
                session,
                community=design_lab,
                created_by=users[seed.manager.handle],
                slug=seed.challenge_slug,
                fields=challenges_service.ChallengeFields(
                    title=seed.challenge_title,
                    submissions_open_at=now - timedelta(days=1),
                    submissions_close_at=now + timedelta(days=7),
                    scoring_close_at=now + timedelta(days=14),
                    brief="A label for our autumn roast.",
                    product_type="Coffee bag label",
                ),
            )
            challenges_service.publish_challenge(session, challenge=challenge)

            # Submissions ran from 10 days ago to yesterday; scoring is open for two more weeks.
            scoring = challenges_service.create_challenge(
                session,
                community=design_lab,
                created_by=users[seed.manager.handle],
                slug=seed.scoring_challenge_slug,
                fields=challenges_service.ChallengeFields(
                    title=seed.scoring_challenge_title,
                    submissions_open_at=now - timedelta(days=10),
                    submissions_close_at=now - timedelta(days=1),
                    scoring_close_at=now + timedelta(days=14),
                    brief="A label for our **winter blend**: warm, dark, a little festive.",
                    rules="One colour plus black.",
                    product_type="Coffee bag label",
                    max_designs_per_member=5,
                ),
            )
            challenges_service.publish_challenge(session, challenge=scoring)
            for person in seed.designers:
                communities_service.join_community(session, community=design_lab, user=users[person.handle])
            pictures = artworks(random.Random(2026), seed.scoring_designs)
            for number, picture in enumerate(pictures):
                designer = seed.designers[number % len(seed.designers)]
                challenge_designs.submit_design(
                    session,
                    challenge=scoring,
                    designer=users[designer.handle],
                    upload=io.BytesIO(picture.png),
                    title=f"Winter label {number + 1}",
                    tags=picture.motif,
                    filename=f"winter-{number + 1}.png",
                    content_type="image/png",
                    now=now - timedelta(days=9) + timedelta(hours=number),
                )
    finally:
        engine.dispose()


def _server_environment(*, url: str, data_dir: Path, base_url: str, media_dir: Path | None = None) -> dict[str, str]:
    """The server's settings. Its media are ``media_dir``, by default this process's (where _seed stored the seeded
    designs' images)."""
    # Nothing of the test process's own CHORUS_ settings (tests/conftest.py sets environment=test, a data
    # directory and a base URL) or of a developer's shell (SMTP, Redis) reaches the server.
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHORUS_")}
    env.update(
        {
            "CHORUS_DATABASE_URL": url,
            "CHORUS_DATA_DIR": str(data_dir),
            "CHORUS_MEDIA_DIR": str(media_dir or get_settings().resolved_media_dir),
            "CHORUS_SECRET_KEY": "e2e-" + secrets.token_urlsafe(32),
            "CHORUS_ENVIRONMENT": "development",
            "CHORUS_BASE_URL": base_url,
            # The journeys share one server and log the same demo people in many times within a minute; the
            # login limits themselves are tested in tests/accounts.
            "CHORUS_LOGIN_RATE_PER_ACCOUNT": "1000/minute",
            "CHORUS_LOGIN_RATE_PER_IP": "1000/minute",
            "PYTHONUNBUFFERED": "1",
            # The server starts through tests/clock.py (outside the checkout: cwd is the data directory).
            "PYTHONPATH": str(ROOT_DIR),
            clock.SHIFT_VARIABLE: str(clock.shift_days()),
        }
    )
    return env


def _start_server(
    *, url: str, data_dir: Path, seed: Seed, start_seconds: float = SERVER_START_SECONDS, media_dir: Path | None = None
) -> LiveServer:
    """Start uvicorn on a free port and wait for /healthz; try another port if the one picked was taken."""
    problems = []
    for attempt in range(3):
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        log_path = data_dir / f"server-{port}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 (a fixed command line)
                [
                    sys.executable,
                    "-m",
                    "tests.clock",  # the test run's clock shift, if any (tests/clock.py)
                    "uvicorn",
                    "app.main:create_app",
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--app-dir",
                    str(ROOT_DIR),
                ],
                # Run outside the checkout, so a developer's .env file cannot change the server's settings.
                cwd=data_dir,
                env=_server_environment(url=url, data_dir=data_dir, base_url=base_url, media_dir=media_dir),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = LiveServer(url=base_url, seed=seed, log_path=log_path, process=process, database_url=url)
        deadline = time.monotonic() + start_seconds
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return server
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        _stop(process)
        problems.append(f"attempt {attempt + 1} on port {port}:\n{server.log_tail()}")
    raise RuntimeError("The Chorus server did not answer /healthz.\n\n" + "\n\n".join(problems))


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real app in a subprocess on a migrated, seeded throw-away database (SQLite, or PostgreSQL when
    CHORUS_TEST_DATABASE_URL is set)."""
    data_dir = tmp_path_factory.mktemp("e2e")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    seed = Seed()
    with databases.migrated_database(tmp_path_factory, label=f"e2e_{worker}", sqlite_dir=data_dir) as url:
        _seed(url, seed)
        server = _start_server(url=url, data_dir=data_dir, seed=seed)
        try:
            yield server
        finally:
            _stop(server.process)


@pytest.fixture(scope="session")
def browser() -> Iterator["Browser"]:
    if not CHROMIUM.exists():
        reason = "Debian's chromium is not installed (apt-get install chromium); .ci/run installs it"
        if os.environ.get("CHORUS_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}. CHORUS_REQUIRE_BROWSER=1 makes a missing browser an error.")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class BrowserProblems:
    """Script errors and console errors (a CSP refusal, a failed asset) seen while a test ran."""

    messages: list[str] = field(default_factory=list)


@pytest.fixture
def browser_problems() -> BrowserProblems:
    return BrowserProblems()


@pytest.fixture
def new_page(
    browser: "Browser", live_server: LiveServer, browser_problems: BrowserProblems
) -> Iterator[Callable[..., "Page"]]:
    """``new_page(viewport=PHONE)``: a page in a context of its own, on the live server's base URL;
    ``java_script_enabled=False`` for a browser without scripts; ``locale="de-DE"`` for a browser asking for German.

    After the test, any console error or uncaught script error on any page fails it.
    """
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    contexts = []

    def make(
        viewport: "ViewportSize | None" = None, *, java_script_enabled: bool = True, locale: str = "en-GB"
    ) -> "Page":
        context = browser.new_context(
            base_url=live_server.url,
            viewport=viewport or DESKTOP,
            locale=locale,
            java_script_enabled=java_script_enabled,
        )
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        problems = browser_problems.messages

        def on_console(message: "ConsoleMessage") -> None:
            # A page answered with 4xx (a form with errors, a 404 page) logs "Failed to load resource" too;
            # failed sub-resources are caught by on_response instead.
            if message.type == "error" and not message.text.startswith("Failed to load resource"):
                problems.append(f"{page.url}: console error: {message.text}")

        def on_response(response: "Response") -> None:
            if response.status >= 400 and response.request.resource_type not in {"document", "xhr", "fetch"}:
                problems.append(
                    f"{page.url}: {response.request.resource_type} {response.url} answered {response.status}"
                )

        page.on("pageerror", lambda error: problems.append(f"{page.url}: script error: {error}"))
        page.on("console", on_console)
        page.on("response", on_response)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not browser_problems.messages, "The browser reported errors:\n" + "\n".join(browser_problems.messages)


@pytest.fixture(scope="session")
def shoot() -> Callable[..., None]:
    """``shoot(page, "home")``: full-page screenshots at desktop and phone width into SHOTS_DIR."""
    if not SHOTS_DIR:
        return lambda page, name, **kwargs: None
    directory = Path(SHOTS_DIR)
    directory.mkdir(parents=True, exist_ok=True)

    def take(page: "Page", name: str, *, sizes: tuple[str, ...] = ("desktop", "phone")) -> None:
        before = page.viewport_size
        for size in sizes:
            page.set_viewport_size(DESKTOP if size == "desktop" else PHONE)
            page.screenshot(path=str(directory / f"{name}-{size}.png"), full_page=True, animations="disabled")
        if before:
            page.set_viewport_size(before)

    return take


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """A failed browser test shows the end of the server's log (tracebacks of 500s land there)."""
    outcome = yield
    report = outcome.get_result()
    server = getattr(item, "funcargs", {}).get("live_server")
    if report.failed and isinstance(server, LiveServer):
        report.sections.append(("Chorus server log (last lines)", server.log_tail()))
