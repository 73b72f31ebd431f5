"""Moderation in the browser: a member reports a comment, a moderator hides it from the queue, and its author is
told why (with the way to appeal) and sees the notice where the comment was, while others no longer see it; and a
moderator compares a near-duplicate with the design it copies and hides it with the H key, at both widths.

Set-up through the services (as tests/e2e/test_challenges.py moves windows): a challenge of its own, open for
submissions, and one of the seeded members made a moderator of the design community."""

import io
import re
import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from app.accounts import service as accounts_service
from app.challenges import designs as challenge_designs
from app.challenges import service as challenges_service
from app.columns import utcnow
from app.communities import service as communities_service
from app.db import build_engine, session_scope
from tests.e2e.conftest import DESKTOP, PHONE, LiveServer
from tests.e2e.test_challenges import log_in
from tests.factories import png_bytes

pytestmark = pytest.mark.e2e


def prepare(server: LiveServer) -> str:
    """A fresh open challenge in the design community, and its third member a moderator; returns its path."""
    seed = server.seed
    slug = f"moderation-{secrets.token_hex(3)}"
    now = utcnow()
    engine = build_engine(server.database_url)
    try:
        with session_scope(engine) as session:
            community = communities_service.get_community_by_slug(session, slug=seed.design_community_slug)
            manager = accounts_service.find_user_by_email(session, email=seed.manager.email)
            assert manager is not None
            challenge = challenges_service.create_challenge(
                session,
                community=community,
                created_by=manager,
                slug=slug,
                fields=challenges_service.ChallengeFields(
                    title="Winter blend labels",
                    submissions_open_at=now - timedelta(days=1),
                    submissions_close_at=now + timedelta(days=7),
                    scoring_close_at=now + timedelta(days=14),
                ),
            )
            challenges_service.publish_challenge(session, challenge=challenge)
            communities_service.change_member_role(
                session, community=community, handle=seed.members[2].handle, role="moderator"
            )
    finally:
        engine.dispose()
    return f"/c/{seed.design_community_slug}/challenges/{slug}"


def test_a_reported_comment_is_hidden_from_the_queue_and_its_author_told(
    new_page, live_server: LiveServer, shoot, tmp_path: Path
) -> None:
    seed = live_server.seed
    designer_person, author_person, moderator_person = seed.members
    challenge_path = prepare(live_server)
    spam = f"Cheap beans at my shop {secrets.token_hex(2)}, use code WINTER"

    # A design to talk about.
    designer: Page = new_page()
    log_in(designer, designer_person)
    designer.goto(challenge_path)
    designer.get_by_role("link", name=re.compile(r"^Submit a design")).click()
    designer.get_by_label("Title").fill("Snowy roastery")
    # Coloured blocks, nothing like test_challenges.py's rings, so neither upload is flagged as a near-duplicate.
    picture = tmp_path / "snowy.png"
    picture.write_bytes(png_bytes(secrets.randbelow(1_000_000), size=640))
    designer.get_by_label("Image").set_input_files(picture)
    designer.get_by_role("button", name="Submit the design").click()
    # (another test's random artwork may look alike: then the message adds that the moderators will look)
    expect(designer.get_by_role("status")).to_contain_text("Your design is submitted.")
    design_path = re.sub(r"^https?://[^/]+", "", designer.url)

    # The author comments on it.
    author: Page = new_page()
    log_in(author, author_person)
    author.goto(design_path)
    author.get_by_label("Add a comment").fill(spam)
    author.get_by_role("button", name="Comment", exact=True).click()
    expect(author.locator("#comments").get_by_role("paragraph").filter(has_text=spam)).to_be_visible()

    # The designer reports the comment.
    designer.goto(design_path)
    comment = designer.locator("article.comment").filter(has_text=spam)
    comment.get_by_role("link", name="Report").click()
    expect(designer.get_by_role("heading", level=1)).to_have_text("Report a comment")
    designer.get_by_label("Spam").check()
    designer.get_by_label("Anything the moderators should know (optional)").fill("An advert")
    shoot(designer, "moderation-report", sizes=("desktop", "phone"))
    designer.get_by_role("button", name="Send the report").click()
    expect(designer.get_by_role("status")).to_have_text("Thank you: your report is with the moderators.")

    # The moderator hides it from the queue.
    moderator: Page = new_page()
    log_in(moderator, moderator_person)
    moderator.goto(f"/c/{seed.design_community_slug}")
    moderator.get_by_role("link", name="Moderation queue").click()
    expect(moderator.get_by_role("heading", level=1)).to_have_text("Moderation queue")
    card = moderator.locator(".queue-card").filter(has_text=spam)
    expect(card).to_contain_text("comment · reported · open · 1 report")
    card.get_by_role("checkbox").check()
    moderator.get_by_label("Hide (the author may appeal)").check()
    moderator.get_by_label("Reason (the author is told)").fill("Advertising is not allowed here")
    shoot(moderator, "moderation-queue", sizes=("desktop", "phone"))
    moderator.get_by_role("button", name="Apply").click()
    expect(moderator.get_by_role("status")).to_have_text("Done: hide on 1 item.")
    expect(moderator.get_by_text(spam)).to_have_count(0)  # no longer waiting

    # Others no longer see it; its author is told why, and sees the notice where it was.
    designer.goto(design_path)
    expect(designer.get_by_text(spam)).to_have_count(0)
    author.goto("/notifications")
    notice = author.get_by_text(re.compile(r"Your comment was hidden by a moderator: Advertising is not allowed here"))
    expect(notice).to_be_visible()
    notice.click()
    expect(author.get_by_role("heading", level=1)).to_have_text("A moderation decision about you")
    expect(author.get_by_text("Why: Advertising is not allowed here")).to_be_visible()
    expect(author.get_by_role("button", name="Send the appeal")).to_be_visible()
    shoot(author, "moderation-decision", sizes=("desktop", "phone"))
    author.goto(design_path)
    expect(author.get_by_role("paragraph").filter(has_text=spam)).to_be_visible()
    expect(author.get_by_text("This comment of yours is hidden by the moderators")).to_be_visible()


def _submit_near_duplicate(server: LiveServer, challenge_slug: str) -> tuple[str, str]:
    """The first designer submits a picture, the second a copy of it (one pixel changed), flagged as a
    near-duplicate; returns both titles (the copy's second)."""
    seed = server.seed
    picture = secrets.randbelow(1_000_000)
    titles = (f"Harbour blocks {picture}", f"My own blocks {picture}")
    now = utcnow()
    engine = build_engine(server.database_url)
    try:
        with session_scope(engine) as session:
            community = communities_service.get_community_by_slug(session, slug=seed.design_community_slug)
            challenge = challenges_service.get_challenge(session, community=community, slug=challenge_slug)
            for number, (person, title) in enumerate(zip(seed.designers[:2], titles, strict=True)):
                designer = accounts_service.find_user_by_email(session, email=person.email)
                assert designer is not None
                design = challenge_designs.submit_design(
                    session,
                    challenge=challenge,
                    designer=designer,
                    upload=io.BytesIO(png_bytes(picture, size=480, touch=number == 1)),
                    title=title,
                    description="Drawn **entirely** by me" if number else "",
                    filename="blocks.png",
                    content_type="image/png",
                    now=now - timedelta(hours=2 - number),
                )
            assert design.flagged_near_duplicate_of_id is not None
    finally:
        engine.dispose()
    return titles


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_moderator_compares_a_near_duplicate_and_hides_it_with_a_key(
    new_page, live_server: LiveServer, shoot, viewport: ViewportSize
) -> None:
    seed = live_server.seed
    challenge_path = prepare(live_server)
    original_title, copy_title = _submit_near_duplicate(live_server, challenge_path.rsplit("/", 1)[-1])

    moderator: Page = new_page(viewport)
    log_in(moderator, seed.members[2])
    queue_url = f"/c/{seed.design_community_slug}/moderation"
    moderator.goto(queue_url)
    _no_sideways_scroll(moderator)
    cards = moderator.locator(".queue-card")
    waiting = cards.count()
    card = cards.filter(has_text=copy_title)
    expect(card).to_contain_text("near duplicate")
    expect(card).to_contain_text(
        re.compile(rf"\d+% alike “{original_title}” by @{seed.designers[0].handle}, posted first")
    )
    shoot(moderator, "moderation-queue-near-duplicate", sizes=("desktop", "phone"))
    card.get_by_role("link", name=copy_title).click()

    expect(moderator.get_by_role("heading", level=1)).to_have_text("A design · open")
    expect(moderator.get_by_role("heading", name=re.compile(r"^\d+% alike: a near-duplicate"))).to_be_visible()
    expect(moderator.get_by_text(f"@{seed.designers[0].handle} posted “{original_title}” first")).to_be_visible()
    both = moderator.locator(".image-pair img")
    expect(both).to_have_count(2)
    for index in range(2):
        image = both.nth(index)
        image.scroll_into_view_if_needed()
        moderator.wait_for_function("image => image.complete && image.naturalWidth > 0", arg=image.element_handle())
    expect(moderator.get_by_role("img", name=f"The earlier design: {original_title}")).to_be_visible()
    # The copy's description is rendered as members saw it.
    expect(moderator.locator(".prose strong")).to_have_text("entirely")
    _no_sideways_scroll(moderator)

    radios = moderator.locator("input[type=radio][name=decision]")
    expect(radios).to_have_count(3)
    assert radios.evaluate_all("radios => radios.filter(r => r.checked).length") == 0
    hide = moderator.get_by_role("radio", name=re.compile(r"^Hide"))
    expect(hide).to_have_attribute("aria-keyshortcuts", "h")
    moderator.keyboard.press("h")
    expect(hide).to_be_checked()
    reason = moderator.get_by_label("Reason (the author is told)")
    expect(reason).to_be_focused()
    # Typing in the reason field picks nothing: "r" and "d" are letters of the reason here.
    reason.press_sequentially("Copied from an earlier design, turned and recoloured")
    expect(hide).to_be_checked()
    shoot(moderator, "moderation-item-near-duplicate", sizes=("desktop", "phone"))
    moderator.get_by_role("button", name="Decide").click()

    expect(moderator.get_by_role("status")).to_have_text(re.compile(r"Done: hide on item \d+\."))
    expect(moderator.get_by_role("heading", level=1)).to_have_text("Moderation queue")
    expect(cards.filter(has_text=copy_title)).to_have_count(0)
    expect(cards).to_have_count(waiting - 1)
    _no_sideways_scroll(moderator)
