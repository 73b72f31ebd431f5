"""A design challenge in the browser, from an upload to the announced winners: a member submits a design, another
scores it (htmx, no reload), and the brand's manager picks it from the shortlist and announces it.

The challenge's windows are moved on between the phases through the service (test setup: the server reads the
windows from the database on every request)."""

import re
import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from app.challenges import service as challenges_service
from app.columns import utcnow
from app.communities import service as communities_service
from app.db import build_engine, session_scope
from tests.e2e.conftest import LiveServer, Person

pytestmark = pytest.mark.e2e


def log_in(page: Page, person: Person) -> None:
    page.goto("/login")
    page.get_by_label("E-mail address or handle").fill(person.handle)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status")).to_contain_text(f"Welcome back, {person.display_name}.")


def move_windows(server: LiveServer, *, opened: timedelta, closes: timedelta, scoring_closes: timedelta) -> None:
    """Set the challenge's windows relative to now (negative: in the past), through update_challenge."""
    seed = server.seed
    now = utcnow()
    engine = build_engine(server.database_url)
    try:
        with session_scope(engine) as session:
            community = communities_service.get_community_by_slug(session, slug=seed.design_community_slug)
            challenge = challenges_service.get_challenge(session, community=community, slug=seed.challenge_slug)
            challenges_service.update_challenge(
                session,
                challenge=challenge,
                fields=challenges_service.ChallengeFields(
                    title=challenge.title,
                    submissions_open_at=now + opened,
                    submissions_close_at=now + closes,
                    scoring_close_at=now + scoring_closes,
                    brief=challenge.brief,
                    rules=challenge.rules,
                    product_type=challenge.product_type,
                    prize=challenge.prize,
                    royalty_terms=challenge.royalty_terms,
                    max_designs_per_member=challenge.max_designs_per_member,
                ),
            )
    finally:
        engine.dispose()


def artwork(path: Path, seed: int) -> Path:
    """A small PNG of its own (a fresh picture each run, so it is never flagged as a near-duplicate)."""
    image = Image.new("RGB", (640, 640), (20 + seed % 200, 60, 120))
    draw = ImageDraw.Draw(image)
    for ring in range(8):
        inset = 30 * ring + seed % 25
        draw.ellipse([inset, inset, 640 - inset, 640 - inset], outline=(240, 200 - ring * 20, 80), width=12)
    draw.rectangle([40 + seed % 300, 500, 200 + seed % 300, 600], fill=(250, 250, 240))
    image.save(path, "PNG")
    return path


def test_a_design_goes_from_upload_to_announced_winner(new_page, live_server: LiveServer, shoot, tmp_path) -> None:
    seed = live_server.seed
    designer_person, voter_person = seed.members[0], seed.members[1]
    challenge_url = f"/c/{seed.design_community_slug}/challenges/{seed.challenge_slug}"
    title = f"Harvest moon {secrets.token_hex(2)}"

    # Submissions are open: member A uploads a design.
    designer: Page = new_page()
    log_in(designer, designer_person)
    designer.goto(challenge_url)
    expect(designer.get_by_role("heading", level=1)).to_have_text(seed.challenge_title)
    designer.get_by_role("link", name=re.compile(r"^Submit a design")).click()
    expect(designer.get_by_role("heading", level=1)).to_have_text("Submit a design")
    designer.get_by_label("Title").fill(title)
    designer.get_by_label("Description").fill("A full moon over the **roastery**.")
    designer.get_by_label("Tags").fill("moon, Night Sky")
    designer.get_by_label("Image").set_input_files(artwork(tmp_path / "harvest-moon.png", secrets.randbelow(10_000)))
    designer.get_by_role("button", name="Submit the design").click()
    expect(designer.get_by_role("status")).to_have_text("Your design is submitted.")
    expect(designer.get_by_role("heading", level=1)).to_have_text(title)
    expect(designer).to_have_url(re.compile(r"/designs/\d+$"))
    design_path = re.sub(r"^https?://[^/]+", "", designer.url)
    expect(designer.get_by_role("link", name="night-sky")).to_be_visible()
    expect(designer.get_by_text("Scoring opens on")).to_be_visible()
    shoot(designer, "challenge-design-submitted", sizes=("desktop",))

    # Scoring: member B scores it, and the form answers in place.
    move_windows(live_server, opened=-timedelta(days=2), closes=-timedelta(minutes=1), scoring_closes=timedelta(days=7))
    voter: Page = new_page()
    log_in(voter, voter_person)
    voter.goto(design_path)
    expect(voter.get_by_role("heading", name="Your score")).to_be_visible()
    voter.evaluate("window.chorusNotReloaded = true")
    # "I'd buy it" first: a tap on a score sends it at once (the only design to score, so the form answers here).
    voter.get_by_label("I'd buy it").check()
    voter.get_by_role("radio", name="4", exact=True).click()
    statuses = voter.locator("#score").get_by_role("status")
    expect(statuses.filter(has_text="Saved.")).to_have_text("Saved. You can change it until scoring closes.")
    expect(statuses.filter(has_text="You have scored every design.")).to_be_visible()
    expect(voter.get_by_role("radio", name="4", exact=True)).to_be_checked()
    expect(voter.get_by_label("I'd buy it")).to_be_checked()
    expect(voter.get_by_role("button", name="Change my score")).to_be_visible()
    assert voter.evaluate("window.chorusNotReloaded") is True, "the score was saved by a page load, not by htmx"
    assert voter.url.endswith(design_path)
    shoot(voter, "challenge-design-scored", sizes=("desktop",))

    # The designer cannot score their own design.
    designer.goto(design_path)
    expect(designer.get_by_role("heading", name="Your score")).to_have_count(0)

    # Scoring has closed: the manager picks the design from the shortlist and announces the winners.
    move_windows(
        live_server, opened=-timedelta(days=3), closes=-timedelta(days=2), scoring_closes=-timedelta(minutes=1)
    )
    manager: Page = new_page()
    log_in(manager, seed.manager)
    manager.goto(challenge_url)
    manager.get_by_role("link", name="Shortlist").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Shortlist")
    row = manager.get_by_role("row").filter(has=manager.get_by_role("link", name=title))
    expect(row.get_by_role("cell").nth(3)).to_have_text("4.00")  # the mean of its one score (after both ranks)
    expect(row.get_by_role("cell").nth(8)).to_have_text("1")  # one "I'd buy it"
    shoot(manager, "challenge-shortlist", sizes=("desktop",))
    row.get_by_role("button", name="Pick as winner").click()
    expect(manager.get_by_role("status")).to_have_text(f"{title} is a winner; a draft product is made for it.")
    row = manager.get_by_role("row").filter(has=manager.get_by_role("link", name=title))
    expect(row.get_by_text("Winner", exact=True)).to_be_visible()
    asked: list[str] = []  # announcing is final: the page asks first
    manager.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    manager.get_by_role("button", name="Announce the winners").click()
    expect(manager).to_have_url(re.compile(f"{challenge_url}/winners$"))
    expect(manager.get_by_role("status")).to_have_text("The winners are announced.")
    assert asked and "cannot be undone" in asked[0]

    # Everyone sees the winner now, the designer included.
    designer.goto(f"{challenge_url}/winners")
    expect(designer.get_by_role("heading", level=1)).to_have_text("Winners")
    expect(designer.get_by_text("The winners are not announced yet.")).to_have_count(0)
    expect(designer.get_by_role("link", name=title)).to_be_visible()
    expect(designer.get_by_role("link", name=designer_person.display_name)).to_be_visible()
    shoot(designer, "challenge-winners")
