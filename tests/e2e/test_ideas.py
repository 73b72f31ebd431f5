"""The ideas board in the browser: a member starts posting an idea, is shown a similar one while typing the title
(htmx, debounced), votes for it in place, and posts their own; the brand's manager marks it planned; the member
finds the notification."""

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

from app.accounts import service as accounts_service
from app.communities import service as communities_service
from app.db import build_engine, session_scope
from app.ideas import posting as ideas_posting
from tests.e2e.conftest import LiveServer
from tests.e2e.test_challenges import log_in

pytestmark = pytest.mark.e2e


def post_existing_idea(server: LiveServer, title: str) -> None:
    """Another member's idea, already on the board (test setup, through the service)."""
    seed = server.seed
    engine = build_engine(server.database_url)
    try:
        with session_scope(engine) as session:
            community = communities_service.get_community_by_slug(session, slug=seed.community_slug)
            author = accounts_service.find_user_by_email(session, email=seed.members[1].email)
            assert author is not None
            ideas_posting.post_idea(session, community=community, author=author, title=title)
    finally:
        engine.dispose()


def test_post_an_idea_see_a_similar_one_vote_and_hear_it_is_planned(new_page, live_server: LiveServer, shoot) -> None:
    seed = live_server.seed
    word = f"hazelnut{secrets.token_hex(2)}"
    existing = f"A {word} decaf roast"
    post_existing_idea(live_server, existing)
    board_url = f"/c/{seed.community_slug}/ideas"

    member: Page = new_page()
    log_in(member, seed.members[0])
    member.goto(f"/c/{seed.community_slug}")
    member.get_by_role("link", name="Ideas and feedback").click()
    expect(member).to_have_url(re.compile(f"{board_url}$"))
    member.get_by_role("link", name="Post an idea").click()
    expect(member.get_by_role("heading", level=1)).to_have_text("Post an idea")

    # Typing the title brings similar ideas in without a reload; the member votes for one right there.
    member.evaluate("window.chorusNotReloaded = true")
    member.get_by_label("Title").press_sequentially(f"Decaf {word} please", delay=20)
    suggestion = member.locator("#similar")
    expect(suggestion.get_by_role("link", name=existing)).to_be_visible()
    suggestion.get_by_role("button", name=f"Vote for {existing}").click()
    expect(suggestion.get_by_role("button", name=f"Take back your vote for {existing}")).to_be_visible()
    expect(suggestion.get_by_text("1 vote", exact=True)).to_be_visible()
    assert member.evaluate("window.chorusNotReloaded") is True, "the suggestions or the vote reloaded the page"
    shoot(member, "ideas-new-with-similar", sizes=("desktop", "phone"))

    # Theirs is different enough: they post it too.
    title = f"Decaf {word} please, in smaller bags"
    member.get_by_label("Title").fill(title)
    member.get_by_label("Description").fill("Half-size bags so the decaf stays **fresh**.")
    member.get_by_role("button", name="Post the idea").click()
    expect(member.get_by_role("status")).to_contain_text("Your idea is posted.")
    expect(member.get_by_role("heading", level=1)).to_have_text(title)
    expect(member).to_have_url(re.compile(r"/ideas/\d+$"))
    idea_path = re.sub(r"^https?://[^/]+", "", member.url)
    expect(member.get_by_role("button", name="Following ✓")).to_be_visible()

    # The brand's manager marks it planned and responds.
    manager: Page = new_page()
    log_in(manager, seed.manager)
    manager.goto(idea_path)
    manager.get_by_label("Move from open to").select_option("planned")
    manager.get_by_role("button", name="Change the status").click()
    expect(manager.get_by_role("status")).to_have_text("The idea is now planned.")
    expect(manager.locator(".status").first).to_have_text("Planned")
    shoot(manager, "ideas-idea-managed", sizes=("desktop",))

    # The member hears of it, and finds it on the roadmap.
    member.goto("/notifications")
    notice = member.get_by_text(f"{title} is now planned")
    expect(notice).to_be_visible()
    member.goto(f"/c/{seed.community_slug}/roadmap")
    planned = member.get_by_role("region", name=re.compile("^Planned"))
    expect(planned.get_by_role("link", name=title)).to_be_visible()
    shoot(member, "ideas-roadmap")
    member.goto(board_url)
    shoot(member, "ideas-board")
