"""The accessibility sweep: axe-core on every page shape each role reaches, at phone and desktop width.

A server of its own, seeded with the full demo (seed/demo.py: two brands, challenges, campaigns, surveys, ideas,
moderation and rewards data; the sweep adds a survey published to a community and a webhook endpoint), so every
page has data to show. For each role (a visitor, a plain member, a connector, a sanctioned member, the moderator,
the analyst, each brand's manager, the site admin; see ROLES) and each width (390 and 1280 px), one browser
context logs in once and walks the app: from the role's start pages it follows every same-site link, visiting at
most a few URLs of each route (one route is one page shape; routes whose page changes with the thing shown get a
few), and runs axe-core on each page (bundled by axe-playwright-python, injected with ``page.evaluate``, which
the CSP does not apply to). Any violation of any impact fails the test, with the rule, the page, the role, the
width and the elements.

Each role's walk must reach the routes listed for it in ``EXPECTED``, and every HTML GET route of the app is either
expected of some role or named in ``NOT_PAGES`` with the reason (test_every_page_route_is_swept), so a new page
cannot slip past the sweep. The API docs page is checked on its own, leaving out Swagger UI's markup.

Seeded once per run (by the first xdist worker; the others copy the SQLite file); each role is a test of its own.
Each page is loaded once and checked at both widths: at the width it was loaded at, then resized to the other (the
next page loads at that one, so each width also sees pages that start at it). Most roles see most pages with the
same markup (the same templates, other names and numbers), so a page made of parts whose shapes were all checked at
that width in this test run, by any role on any xdist worker, is not checked again (see PAGE_SHAPE and
CheckedShapes).
"""

import fcntl
import hashlib
import os
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import pytest

from app.db import build_engine
from tests import databases, demo
from tests.e2e.conftest import DESKTOP, PHONE, LiveServer, Seed, _start_server, _stop

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

pytestmark = pytest.mark.e2e

DEMO_PASSWORD = "chorus-demo-2026"
PAGE_TIMEOUT_MS = 30_000
SERVER_START_SECONDS = 120

# Routes whose page shape changes with what it shows (an open or an announced challenge, a campaign recruiting or
# finished, a community of designs or of feedback): a few of their URLs are swept; one of every other route.
VARIANTS = {
    "communities:detail": 2,
    "communities:members": 2,
    "ideas:board": 2,
    "ideas:roadmap": 2,
    "challenges:list": 2,
    "campaigns:list": 2,
    "moderation:queue": 2,
    "moderation:audit": 2,
    "insights:community": 2,
    "challenges:detail": 3,
    "challenges:design": 2,
    # The demo's Q&A is in Brightleaf's community: the walk may meet the design lab's (empty) list first.
    "questions:list": 2,
    "campaigns:detail": 2,
    "campaigns:answer": 2,
    "ideas:detail": 3,
    "surveys:answer": 2,
    "moderation:item": 3,
    "moderation:decision": 2,
    "rewards:batch": 2,
    # The demo's products: the last one is on pre-order, and its pre-order page links to its product page.
    "rewards:product": 3,
    "preorders:manage": 3,
    "accounts:profile": 2,
    "notifications:outbox_email": 2,
}

# GET routes that are not pages (files, fragments, redirects) or that act when opened: the walk never follows them.
NOT_PAGES = {
    "healthz": "a health check",
    "readyz": "a readiness check (JSON)",
    "api_docs": "Swagger UI, checked on its own (test_the_api_docs_page)",
    "accounts:confirm": "confirms an e-mail address when opened",
    "communities:invite": "a one-time invitation link (joins when accepted)",
    "challenges:original": "an image file",
    "media:rendition": "an image file",
    "notifications:bell": "an htmx fragment of the header",
    "ideas:similar": "an htmx fragment of the idea form",
    "questions:similar": "an htmx fragment of the ask form",
    "notifications:unsubscribe": "acts on a one-time e-mail token",
    "rewards:referral_link": "sets a referral cookie and redirects",
    "campaigns:qr": "an SVG image",
    "campaigns:kits_csv": "a CSV file",
    "preorders:pledges_csv": "a CSV file",
    "reviews:csv": "a CSV file",
    "insights:challenge_csv": "a CSV file",
    "insights:community_csv": "a CSV file",
    "insights:survey_responses_csv": "a CSV file",
    "insights:survey_aggregates_csv": "a CSV file",
    "insights:campaign_responses_csv": "a CSV file",
    "insights:campaign_aggregates_csv": "a CSV file",
    "insights:campaign_csv": "a CSV file",
    "moderation:audit_csv": "a CSV file",
    "moderation:design_image": "an image file (a design's rendition for its moderators)",
    "export": "a JSON download",
    "export_batch": "a CSV download",
    "campaigns:thanks": "reached only by answering a share link (a POST)",
    "challenges:next_design": "redirects to the member's next unscored design (a design page)",
    "accounts:two_factor_login": "reached only half signed in (after the password of an account with two-factor); "
    "axe-checked in tests/e2e/test_two_factor.py",
    "accounts:recovery_login": "reached only half signed in, from the code page; axe-checked in "
    "tests/e2e/test_two_factor.py",
    "surveys:results": "retired: redirects (308) to the survey's one results page, insights:survey",
}


@dataclass(frozen=True)
class Role:
    name: str
    login: str | None  # an e-mail address (or a key of DemoServer.logins); None for a visitor
    start: tuple[str, ...] = ()  # where the walk starts, before the home page ({name}: see DemoServer.facts)
    walk: bool = True  # False: sweep the start pages and the home page only


NOT_FOUND = "/no-such-page"
BRIGHTLEAF = (
    "/brands/brightleaf",
    "/c/brightleaf-testers",
    "/brands/brightleaf/surveys/{survey_id}/insights",
    # The running campaign's results (the demo's newer campaigns have no connectors' figures yet).
    "/c/brightleaf-testers/campaigns/laundry-sheets/insights",
)
ROLES = (
    # A forged reset link shows the link-problem page (a valid one needs a token only an e-mail carries).
    Role(
        "visitor",
        None,
        ("/login", "/signup", "/reset", "/reset/forged", "/confirm/resend", "/s/{share_code}", NOT_FOUND),
    ),
    Role("member", "{plain_member}", (NOT_FOUND, "/c/brightleaf-testers/campaigns/laundry-sheets/apply")),
    Role("connector", "member@chorus.demo", ("/c/brightleaf-testers", "/s/{share_code}", "/designs/{member_design}")),
    # A member suspended in the design lab: the decision about them (the only role that may see it) and its appeal.
    Role("sanctioned member", "{sanctioned_member}", ("/c/northwind-design-lab/decisions/{decision_id}",), walk=False),
    Role("moderator", "moderator@chorus.demo", ("/c/northwind-design-lab/moderation", "/c/brightleaf-testers")),
    Role("analyst", "analyst@brightleaf.demo", BRIGHTLEAF),
    # The demo's two managers: Brightleaf's feedback community (campaigns, surveys, ideas) and Northwind's design
    # lab (challenges, shortlists, products, royalties and payouts).
    Role("manager", "manager@brightleaf.demo", BRIGHTLEAF),
    Role(
        "design manager",
        "manager@northwind.demo",
        ("/brands/northwind", "/c/northwind-design-lab", "/c/brightleaf-testers"),
    ),
    Role("site admin", "admin@chorus.demo", ("/admin", "/admin/bans", "/dev/outbox")),
)
WIDTHS: dict[str, "ViewportSize"] = {"390px": PHONE, "1280px": DESKTOP}

# The shape of a page's markup, for axe-core, in three parts: the site header, the main content and the rest of the
# page. A part's shape is every element with its attributes, in order, where the values that name this page's
# things (addresses, texts, numbers in ids, tokens) count only as present or empty and text nodes only as text or
# none; runs of siblings of one shape count once (a list of 28 designs has the shape of one of 30). What axe-core
# judges (roles, names present or missing, labels' targets, classes and so colours, structure) is kept. A page
# whose three parts were each checked before at this width (the member's header over a main content the visitor
# saw, say) is not checked again.
PAGE_SHAPE = """() => {
  const FREE = new Set(["href", "src", "srcset", "action", "value", "content", "datetime", "title", "alt",
    "aria-label", "placeholder", "nonce"]);
  const PARTS = ["header.site-header", "main#main"];
  const shape = (node, skip) => {
    const parts = [];
    let previous = null;
    for (const child of node.childNodes) {
      let part = null;
      if (child.nodeType === Node.TEXT_NODE) {
        part = child.textContent.trim() ? "#text" : null;
      } else if (child.nodeType === Node.ELEMENT_NODE) {
        const attributes = [...child.attributes].map((attribute) => {
          const name = attribute.name;
          const free = FREE.has(name) || name.startsWith("hx-") || name.startsWith("data-");
          return name + "=" + (free ? (attribute.value ? "*" : "") : attribute.value.replace(/[0-9]+/g, "0"));
        }).sort();
        const inside = skip && skip.some((selector) => child.matches(selector)) ? "..." : shape(child, skip);
        part = "<" + child.tagName + " " + attributes.join(" ") + ">" + inside + "</>";
      }
      if (part !== null && part !== previous) parts.push(part);
      if (part !== null) previous = part;
    }
    return parts.join("");
  };
  const rest = shape(document.documentElement, PARTS);
  return [rest, ...PARTS.map((selector) => {
    const element = document.querySelector(selector);
    return selector + (element ? shape(element, null) : " absent");
  })];
}"""


class CheckedShapes:
    """The part shapes checked at each width in this test run (a line "<width> <digest>" each), in a file the xdist
    workers share, so a shape one role checked on one worker is not checked again by another role on another.

    Lines are appended whole under a lock; two workers meeting a new shape at the same moment both check it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.known: set[str] = set()

    def new(self, page: "Page", width: str) -> set[str]:
        """The parts of the page as it stands whose shape has not been checked at this width in this run."""
        keys = {f"{width} {hashlib.sha256(part.encode()).hexdigest()}" for part in page.evaluate(PAGE_SHAPE)}
        if keys <= self.known:
            return set()
        if self.path.exists():
            self.known.update(self.path.read_text().splitlines())
        return keys - self.known

    def add(self, keys: set[str]) -> None:
        self.known.update(keys)
        with self.path.open("a") as shapes:
            fcntl.flock(shapes, fcntl.LOCK_EX)
            shapes.write("".join(f"{key}\n" for key in sorted(keys)))


@pytest.fixture(scope="session")
def checked_shapes(tmp_path_factory: pytest.TempPathFactory) -> CheckedShapes:
    return CheckedShapes(databases.run_directory(tmp_path_factory) / "axe-checked-shapes")


# The routes each role's walk must reach (at both widths).
PUBLIC_PAGES = {
    "home",
    "communities:detail",
    "challenges:list",
    "challenges:detail",
    "challenges:design",
    "challenges:winners",
    "challenges:portfolio",
    "challenges:find",
    "challenges:find_in_community",
    "ideas:board",
    "ideas:detail",
    "ideas:roadmap",
    "ideas:changelog",
    "questions:list",
    "questions:detail",
    # The testers take visitors' questions in the demo, so everyone reaches the ask form.
    "questions:new",
    "campaigns:list",
    "campaigns:detail",
    "reviews:list",
    "disclosure:rules",
    "accounts:profile",
}
ACCOUNT_PAGES = {
    "accounts:settings",
    "i18n:settings",
    "accounts:two_factor",
    "accounts:tokens",
    "notifications:list",
    "notifications:settings",
    "moderation:privacy",
    "rewards:earnings",
    "rewards:statement",
    "rewards:points",
    "rewards:referrals",
}
MEMBER_PAGES = (
    PUBLIC_PAGES
    | ACCOUNT_PAGES
    | {
        "ideas:new",
        "challenges:submit",
        "moderation:report",
        "surveys:community_list",
        "surveys:answer",
    }
)
STAFF_PAGES = (
    PUBLIC_PAGES
    | ACCOUNT_PAGES
    | {
        "brands:dashboard",
        "brands:staff",
        "communities:members",
        "insights:community",
        "insights:community_report",
        "moderation:audit",
        "rewards:brand",
        "rewards:sales",
        "rewards:redemptions",
        "rewards:points_admin",
        "rewards:payouts",
        "rewards:liability",
        "surveys:list",
    }
)
BRIGHTLEAF_STAFF_PAGES = STAFF_PAGES | {
    "surveys:builder",
    "insights:survey",
    "insights:survey_answers",
    "insights:survey_report",
    "campaigns:progress",
    "insights:campaign",
    "insights:campaign_report",
    "insights:campaign_answers",
    "insights:campaign_connectors",
}
EXPECTED: dict[str, set[str]] = {
    "visitor": PUBLIC_PAGES
    | {
        "404",
        "accounts:login",
        "accounts:signup",
        "accounts:reset",
        "accounts:resend_confirmation",
        "accounts:reset_password",
        "campaigns:answer",
    },
    "member": MEMBER_PAGES | {"404", "campaigns:apply"},
    "connector": MEMBER_PAGES | {"campaigns:mine", "campaigns:answer", "challenges:edit_design"},
    "sanctioned member": {"home", "moderation:decision"},
    "moderator": MEMBER_PAGES
    | {
        "communities:members",
        "moderation:queue",
        "moderation:item",
        "moderation:audit",
        "moderation:appeals",
        "moderation:settings",
        "moderation:integrity",
    },
    "analyst": BRIGHTLEAF_STAFF_PAGES,
    "manager": BRIGHTLEAF_STAFF_PAGES
    | {
        "brands:new_community",
        "communities:settings",
        "campaigns:new",
        "campaigns:edit",
        "campaigns:applications",
        "surveys:edit_question",
        "surveys:translations",
        "moderation:queue",
        "moderation:appeals",
        "moderation:settings",
        "moderation:report_response",
        "webhooks:list",
        "webhooks:detail",
        "webhooks:events",
    },
    "design manager": STAFF_PAGES
    | {
        "challenges:new",
        "challenges:edit",
        "challenges:shortlist",
        "insights:challenge",
        "insights:challenge_report",
        "moderation:item",
        "moderation:integrity",
        "rewards:product",
        "rewards:batch",
        "preorders:manage",
        "preorders:product",
    },
    "site admin": PUBLIC_PAGES
    | ACCOUNT_PAGES
    | {"admin:home", "moderation:site_bans", "notifications:outbox", "notifications:outbox_email"},
}


@dataclass
class DemoServer:
    server: LiveServer
    facts: dict[str, str]  # what Role.login and Role.start name in braces (see _facts)

    def fill(self, text: str) -> str:
        return text.format(**self.facts)


def _add_the_sweeps_extras(url: str) -> None:
    """After the demo seed, one of Brightleaf's surveys is published to its community, so the members' survey pages
    have one to show (the demo's surveys are all answered through campaigns), and Brightleaf gets a webhook
    endpoint."""
    from sqlmodel import select

    from app.brands.models import Brand
    from app.communities.models import Community
    from app.db import session_scope
    from app.surveys import building as surveys_building
    from app.surveys.models import Survey
    from app.webhooks import service as webhooks_service

    engine = build_engine(url)
    try:
        with session_scope(engine) as session:
            community = session.exec(select(Community).where(Community.slug == "brightleaf-testers")).one()
            survey = session.exec(
                select(Survey).where(Survey.brand_id == community.brand_id, Survey.title.startswith("Lavender"))
            ).one()
            surveys_building.publish_survey(session, survey=survey, community=community)
            webhooks_service.create_endpoint(
                session,
                brand=session.get(Brand, community.brand_id),
                created_by_id=None,
                url="https://hooks.example.com/chorus",
                events=["idea_created"],
                description="The sweep's endpoint",
            )
    finally:
        engine.dispose()


def _facts(url: str) -> dict[str, str]:
    """A plain member (of both demo communities, no connector, no staff, with a design), a share link of Mia's (the
    demo member, a connector of the laundry sheets campaign) and her newest design (its page links to its edit
    page)."""
    from sqlalchemy import text

    engine = build_engine(url)
    try:
        with engine.connect() as connection:
            plain_member = connection.execute(
                text(
                    "SELECT u.email FROM users u WHERE u.is_site_admin = false"
                    " AND (SELECT count(*) FROM memberships m WHERE m.user_id = u.id AND m.role = 'member') = 2"
                    " AND NOT EXISTS (SELECT 1 FROM campaign_applications a WHERE a.user_id = u.id)"
                    " AND NOT EXISTS (SELECT 1 FROM brand_staff s WHERE s.user_id = u.id)"
                    " AND EXISTS (SELECT 1 FROM designs d WHERE d.designer_id = u.id) ORDER BY u.id LIMIT 1"
                )
            ).scalar_one()
            share_code = connection.execute(
                text(
                    "SELECT l.code FROM share_links l JOIN users u ON u.id = l.connector_id"
                    " WHERE u.email = 'member@chorus.demo' ORDER BY l.hop, l.id LIMIT 1"
                )
            ).scalar_one()
            member_design = connection.execute(
                text(
                    "SELECT d.id FROM designs d JOIN users u ON u.id = d.designer_id"
                    " WHERE u.email = 'member@chorus.demo' ORDER BY d.id DESC LIMIT 1"
                )
            ).scalar_one()
            published_survey = connection.execute(
                text("SELECT id FROM surveys WHERE community_id IS NOT NULL ORDER BY id LIMIT 1")
            ).scalar_one()
            sanctioned, decision = connection.execute(
                text(
                    "SELECT u.email, a.id FROM audit_entries a JOIN users u ON u.id = a.target_user_id"
                    " WHERE a.action = 'suspension' ORDER BY a.id LIMIT 1"
                )
            ).one()
    finally:
        engine.dispose()
    return {
        "member_design": str(member_design),
        "plain_member": plain_member,
        "share_code": share_code,
        "survey_id": str(published_survey),
        "sanctioned_member": sanctioned,
        "decision_id": str(decision),
    }


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """A second server (beside conftest's live_server), on a copy of the run's demo (tests/demo.py) with the sweep's
    extras."""
    data_dir = tmp_path_factory.mktemp("axe")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with demo.demo_database(tmp_path_factory, label=f"axe_{worker}", directory=data_dir) as seeded:
        _add_the_sweeps_extras(seeded.url)
        facts = _facts(seeded.url)
        # The sweep starts while the other browser tests run: give the server longer to answer on a busy machine.
        server = _start_server(
            url=seeded.url,
            data_dir=data_dir,
            seed=Seed(),
            start_seconds=SERVER_START_SECONDS,
            media_dir=seeded.media_dir,
        )
        try:
            yield DemoServer(server=server, facts=facts)
        finally:
            _stop(server.process)


def _page_routes() -> dict[str, re.Pattern[str]]:
    """Every GET route outside the JSON API, by name, with the pattern its paths match (the permission matrix's app:
    building one costs about a second)."""
    from tests.test_permissions import APP

    routes = {}
    for route in APP.routes:
        methods = getattr(route, "methods", None) or set()
        path = getattr(route, "path", "")
        if "GET" in methods and not path.startswith("/api/"):
            routes[route.name] = route.path_regex  # type: ignore[attr-defined]
    return routes


PAGE_ROUTES = _page_routes()


def route_of(path: str) -> str | None:
    for name, pattern in PAGE_ROUTES.items():
        if pattern.match(path):
            return name
    return None


@cache
def _axe_source() -> str:
    from axe_playwright_python.sync_playwright import Axe

    return str(Axe().axe_script)


def _axe_violations(page: "Page") -> list[dict[str, Any]]:
    """axe-core's violations on the page as it stands (axe-core is in every page of the sweep's context already:
    ``_with_axe``)."""
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return list(results["violations"])


def _with_axe(context: "BrowserContext") -> "BrowserContext":
    """Put axe-core into every page the context opens, as the page starts: sending its 570 kB source with each
    check cost about a quarter of the check."""
    context.add_init_script(script=_axe_source())
    return context


def _log_in(context: "BrowserContext", email: str) -> None:
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")
    assert "/login" not in urlsplit(page.url).path, f"{email} could not log in"
    page.close()


def _links(page: "Page", origin: str) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all("a[href]", "links => links.map(link => link.href)")
    found = []
    for href in hrefs:
        absolute = urljoin(page.url, href)
        parts = urlsplit(absolute)
        if f"{parts.scheme}://{parts.netloc}" != origin or parts.path.startswith(("/static/", "/media/", "/api/")):
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


@dataclass
class Sweep:
    visited: dict[str, list[str]]  # route name -> the URLs swept
    problems: list[str]


# After a resize, chorus.js makes the tables that now overflow their box focusable (tabindex) and names them, 150 ms
# later: the check at the new width waits for that, as a person resizing the window would.
SCROLL_BOXES_SETTLED = """() => [...document.querySelectorAll(".table-scroll")].every((box) =>
  (box.scrollWidth <= box.clientWidth + 1 && box.scrollHeight <= box.clientHeight + 1)
  || box.hasAttribute("tabindex"))"""


def _check_at(page: "Page", width: str, shapes: CheckedShapes) -> list[dict[str, Any]]:
    """axe-core's violations on the page at ``width``, or none when all its parts' shapes were checked at it."""
    if page.viewport_size != WIDTHS[width]:
        page.set_viewport_size(WIDTHS[width])
        page.wait_for_function(SCROLL_BOXES_SETTLED)
    new_shapes = shapes.new(page, width)
    if not new_shapes:
        return []
    violations = _axe_violations(page)
    shapes.add(new_shapes)
    return violations


def sweep(
    context: "BrowserContext", *, origin: str, role: str, shapes: CheckedShapes, start: tuple[str, ...], walk: bool
) -> Sweep:
    """Walk the site from ``start``, running axe-core at both widths on one page (or a few, see VARIANTS) of each
    route."""
    page = context.new_page()
    queue = deque([*start, "/"])
    seen_paths: set[str] = set()  # a page's query string (a sort, a filter, a page number) makes no new shape
    visited: dict[str, list[str]] = {}
    problems: list[str] = []
    while queue:
        url = queue.popleft()
        path = urlsplit(url).path
        route = "404" if path == NOT_FOUND else route_of(path)
        if path in seen_paths or route is None or route in NOT_PAGES:
            continue
        seen_paths.add(path)
        if len(visited.get(route, [])) >= VARIANTS.get(route, 1):
            continue
        response = page.goto(url)
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        if response.status == 404 and route != "404":
            # A page this role may not see answers 404, like a page that is not there.
            route = "404"
            if visited.get(route):
                continue
        final_path = urlsplit(page.url).path
        final_route = route_of(final_path) if route != "404" else route
        if final_route != route and final_path != path:
            # A redirect (a page this role may not open, or an old address): sweep where it leads, once.
            queue.appendleft(final_path)
            continue
        visited.setdefault(route, []).append(url)
        loaded_at = next(width for width, size in WIDTHS.items() if size == page.viewport_size)
        for width in sorted(WIDTHS, key=lambda width: width != loaded_at):
            for violation in _check_at(page, width, shapes):
                targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:8])
                more = len(violation["nodes"]) - 8
                problems.append(
                    f"{violation['id']} ({violation['impact']}) on {url} [{route}] as {role} at {width}: "
                    f"{violation['help']}; {targets}{f' (and {more} more)' if more > 0 else ''}"
                )
        if walk:
            queue.extend(_links(page, origin))
    page.close()
    return Sweep(visited=visited, problems=problems)


def _report(problems: list[str]) -> str:
    return f"axe-core found {len(problems)} violation(s):\n" + "\n".join(problems)


@pytest.mark.seconds(40)
@pytest.mark.parametrize("role", ROLES, ids=[role.name.replace(" ", "-") for role in ROLES])
def test_every_page_a_role_reaches_passes_axe(
    browser: "Browser", demo_server: DemoServer, checked_shapes: CheckedShapes, role: Role
) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=PAGE_TIMEOUT_MS)
    origin = demo_server.server.url
    context = _with_axe(browser.new_context(base_url=origin, viewport=PHONE, locale="en-GB"))
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        if role.login:
            _log_in(context, demo_server.fill(role.login))
        result = sweep(
            context,
            origin=origin,
            role=role.name,
            shapes=checked_shapes,
            start=tuple(demo_server.fill(path) for path in role.start),
            walk=role.walk,
        )
    finally:
        context.close()
    assert not result.problems, _report(result.problems)
    missing = EXPECTED[role.name] - set(result.visited)
    assert not missing, f"The {role.name}'s walk did not reach {sorted(missing)}; it swept {sorted(result.visited)}"


def test_the_sweeps_check_finds_a_violation(browser: "Browser") -> None:
    """axe-core put in by the context (``_with_axe``) is there on a page the sweep opens, and it judges that page."""
    context = _with_axe(browser.new_context(viewport=PHONE))
    try:
        page = context.new_page()
        page.route(
            "http://sweep.test/",
            lambda route: route.fulfill(
                content_type="text/html",
                body='<!doctype html><html lang="en"><title>t</title><main><img src="/x.png"></main></html>',
            ),
        )
        page.goto("http://sweep.test/")
        assert "image-alt" in {violation["id"] for violation in _axe_violations(page)}
    finally:
        context.close()


def test_the_sweep_checks_a_page_again_at_the_width_it_is_resized_to(browser: "Browser", tmp_path: Path) -> None:
    """A page is loaded once and checked at both widths: what shows only at the second width (here a pale text, hidden
    on a phone) is judged at that width; a second page of the same shapes is not checked again."""
    body = (
        '<!doctype html><html lang="en"><title>t</title><style>.wide{color:#ddd;background:#fff}'
        "@media (max-width: 600px){.wide{display:none}}</style><main><h1>Sweep</h1><p class=wide>Pale</p></main></html>"
    )
    shapes = CheckedShapes(tmp_path / "shapes")
    context = _with_axe(browser.new_context(viewport=PHONE))
    try:
        page = context.new_page()
        page.route("http://sweep.test/*", lambda route: route.fulfill(content_type="text/html", body=body))
        page.goto("http://sweep.test/one")
        assert "color-contrast" not in {violation["id"] for violation in _check_at(page, "390px", shapes)}
        assert "color-contrast" in {violation["id"] for violation in _check_at(page, "1280px", shapes)}
        assert page.viewport_size == DESKTOP
        page.goto("http://sweep.test/two")
        assert _check_at(page, "1280px", shapes) == _check_at(page, "390px", shapes) == []
        assert CheckedShapes(tmp_path / "shapes").new(page, "1280px") == set()  # what another worker reads
    finally:
        context.close()


def test_the_api_docs_page(browser: "Browser", demo_server: DemoServer) -> None:
    """/docs is Swagger UI's page: its own markup (inside #swagger-ui) is left to Swagger UI's authors (it has
    known axe violations we cannot fix without forking it); the page around it must pass."""
    from axe_playwright_python.sync_playwright import Axe

    problems = []
    for width, viewport in WIDTHS.items():
        context = browser.new_context(base_url=demo_server.server.url, viewport=viewport, locale="en-GB")
        try:
            page = context.new_page()
            page.goto("/docs")
            page.wait_for_selector("#swagger-ui .information-container", timeout=PAGE_TIMEOUT_MS)
            results = Axe().run(page, context={"exclude": [["#swagger-ui"]]}, options={"resultTypes": ["violations"]})
            for violation in results.response["violations"]:
                targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"])
                problems.append(f"{violation['id']} ({violation['impact']}) on /docs as visitor at {width}: {targets}")
        finally:
            context.close()
    assert not problems, _report(problems)


def test_every_page_route_is_swept() -> None:
    """Every HTML GET route is expected of some role's walk, or named in NOT_PAGES with the reason."""
    expected = set().union(*EXPECTED.values())
    assert set(PAGE_ROUTES) - expected - set(NOT_PAGES) == set()
    assert expected - set(PAGE_ROUTES) == {"404"}
    assert set(EXPECTED) == {role.name for role in ROLES}
