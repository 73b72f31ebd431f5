"""Ideas pages: full pages and htmx fragments, posting with and without JS, votes and follows by htmx, the brand's
tools, the roadmap and the changelog, and the idea's comment thread."""

from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, func, select

from app.brands.models import StaffRole
from app.communities.models import Community, MemberRole, Visibility
from app.ideas import managing as ideas_managing
from app.ideas import posting as ideas_posting
from app.ideas import votes as ideas_votes
from app.ideas.models import Idea, IdeaStatus, IdeaVote
from app.notifications.models import Notification
from tests.factories import add_member, add_staff, csrf_token, log_in, make_brand, make_community, make_user, png_bytes
from tests.ideas.factories import make_idea, make_member

HTMX = {"HX-Request": "true"}


def _post(client: TestClient, url: str, data: dict[str, str] | None = None, **kwargs: object) -> Response:
    return client.post(url, data={**(data or {}), "csrftoken": csrf_token(client)}, **kwargs)  # type: ignore[arg-type]


def test_the_board_page_and_its_fragments(client: TestClient, session: Session) -> None:
    community = make_community(session)
    refill = make_idea(session, community, title="Refill pouches for soap", vote_count=3)
    make_idea(session, community, title="A lavender floor cleaner", vote_count=1)
    for number in range(25):
        make_idea(session, community, title=f"Filler idea {number}")
    assert 'href="/c/' + community.slug + '/ideas"' in client.get(f"/c/{community.slug}").text

    full = client.get(f"/c/{community.slug}/ideas", params={"sort": "top"})
    assert full.status_code == 200 and "<html" in full.text
    assert full.text.index("Refill pouches") < full.text.index("A lavender floor")
    assert "Load more" in full.text and "Log in to post and vote" in full.text
    log_in(client, session, make_user(session))
    assert "to post ideas and vote" in client.get(f"/c/{community.slug}/ideas").text
    client.cookies.clear()

    searched = client.get(f"/c/{community.slug}/ideas", params={"q": "refil"}, headers=HTMX)
    assert "<html" not in searched.text and 'id="board"' not in searched.text and 'role="search"' not in searched.text
    assert "Refill pouches" in searched.text and "lavender" not in searched.text

    more = client.get(f"/c/{community.slug}/ideas", params={"page": 2, "more": "true", "sort": "newest"}, headers=HTMX)
    assert more.text.strip().startswith("<li") and "<form" not in more.text.split("<li", 1)[0]
    assert f"/ideas/{refill.id}" in more.text  # the oldest ones come on the second page


def test_an_invite_only_board_is_hidden_from_outsiders(client: TestClient, session: Session) -> None:
    community = make_community(session, visibility=Visibility.invite_only)
    idea = make_idea(session, community, title="Secret plans")
    log_in(client, session, make_user(session))
    assert client.get(f"/c/{community.slug}/ideas").status_code == 404
    assert client.get(f"/ideas/{idea.id}").status_code == 404
    assert client.get(f"/api/v1/ideas/{idea.id}").status_code == 404


def test_posting_an_idea_with_a_photo(client: TestClient, session: Session) -> None:
    community = make_community(session)
    member = make_member(session, community)
    log_in(client, session, member)
    page = client.get(f"/c/{community.slug}/ideas/new")
    assert 'hx-trigger="keyup changed delay:300ms"' in page.text and 'name="check"' in page.text
    response = _post(
        client,
        f"/c/{community.slug}/ideas/new",
        {"title": "A tote with an inside pocket", "description": "For keys."},
        files={"photo": ("tote.png", png_bytes(3), "image/png")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    idea = session.exec(select(Idea).where(Idea.title == "A tote with an inside pocket")).one()
    assert response.headers["location"] == f"/ideas/{idea.id}"
    assert idea.image_id is not None
    shown = client.get(f"/ideas/{idea.id}")
    assert "For keys." in shown.text and "/media/renditions/" in shown.text and "Following ✓" in shown.text
    board = client.get(f"/c/{community.slug}/ideas")
    assert 'class="idea-thumb"' in board.text


def test_bad_input_keeps_what_was_typed(client: TestClient, session: Session) -> None:
    community = make_community(session)
    log_in(client, session, make_member(session, community))
    response = _post(client, f"/c/{community.slug}/ideas/new", {"title": "Hm", "description": "Keep this text"})
    assert response.status_code == 422
    assert "Keep this text" in response.text and "at least 5 characters" in response.text
    assert session.exec(select(func.count()).select_from(Idea)).one() == 0


def test_similar_ideas_while_typing_and_without_js(client: TestClient, session: Session) -> None:
    community = make_community(session)
    soap = make_idea(session, community, title="Refillable dish soap bottles")
    log_in(client, session, make_member(session, community))
    fragment = client.get(f"/c/{community.slug}/ideas/similar", params={"title": "soap refill"}, headers=HTMX)
    assert "<html" not in fragment.text and 'id="similar"' in fragment.text
    assert f"/ideas/{soap.id}" in fragment.text and f"/ideas/{soap.id}/vote" in fragment.text
    page = client.get(f"/c/{community.slug}/ideas/similar", params={"title": "soap refill"})
    assert "<html" in page.text and "Refillable dish soap" in page.text
    # Without JS, "check for similar ideas" shows them on the form, keeping what was typed, and posts nothing.
    checked = _post(client, f"/c/{community.slug}/ideas/new", {"title": "More soap refills", "check": "1"})
    assert checked.status_code == 200
    assert 'value="More soap refills"' in checked.text and "Refillable dish soap" in checked.text
    assert session.exec(select(func.count()).select_from(Idea)).one() == 1


def test_voting_by_htmx_and_without_js(client: TestClient, session: Session) -> None:
    community = make_community(session)
    idea = make_idea(session, community)
    voter = make_member(session, community)
    log_in(client, session, voter)
    fragment = _post(client, f"/ideas/{idea.id}/vote", {"next": f"/c/{community.slug}/ideas"}, headers=HTMX)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert (
        f'id="vote-{idea.id}"' in fragment.text and "Voted ✓" in fragment.text and "<strong>1</strong>" in fragment.text
    )
    again = _post(client, f"/ideas/{idea.id}/unvote", follow_redirects=False)
    assert (again.status_code, again.headers["location"]) == (303, f"/ideas/{idea.id}")
    session.refresh(idea)
    assert idea.vote_count == 0
    # The "next" of a no-JS form only ever sends people back into the site.
    away = _post(client, f"/ideas/{idea.id}/vote", {"next": "https://evil.example/"}, follow_redirects=False)
    assert away.headers["location"] == f"/ideas/{idea.id}"


def test_a_refused_vote_says_why(client: TestClient, session: Session) -> None:
    community = make_community(session)
    idea = make_idea(session, community, status=IdeaStatus.done)
    log_in(client, session, make_member(session, community))
    refused = _post(client, f"/ideas/{idea.id}/vote", headers=HTMX)
    assert refused.status_code == 409 and "votes are closed" in refused.text
    assert session.exec(select(func.count()).select_from(IdeaVote)).one() == 0
    api = client.put(f"/api/v1/ideas/{idea.id}/vote", headers={"x-csrftoken": csrf_token(client)})
    assert api.status_code == 409 and "votes are closed" in api.json()["detail"]


def test_follow_toggle(client: TestClient, session: Session) -> None:
    community = make_community(session)
    idea = make_idea(session, community)
    log_in(client, session, make_member(session, community))
    followed = _post(client, f"/ideas/{idea.id}/follow", headers=HTMX)
    assert "Following ✓" in followed.text and "<html" not in followed.text
    unfollowed = _post(client, f"/ideas/{idea.id}/unfollow", headers=HTMX)
    assert "Follow" in unfollowed.text and "Following ✓" not in unfollowed.text


def _managed_world(session: Session) -> tuple[Community, Idea, object, object]:
    brand = make_brand(session)
    community = make_community(session, brand)
    manager, moderator = make_user(session), make_user(session)
    add_staff(session, brand, manager, StaffRole.manager)
    add_member(session, community, moderator, MemberRole.moderator)
    author = make_member(session, community)
    idea = ideas_posting.post_idea(session, community=community, author=author, title="Unscented hand soap")
    return community, idea, manager, moderator


def test_managers_change_the_status_and_respond(client: TestClient, session: Session) -> None:
    community, idea, manager, _ = _managed_world(session)
    log_in(client, session, manager)  # type: ignore[arg-type]
    page = client.get(f"/ideas/{idea.id}")
    assert "For the team" in page.text and 'value="under_review"' in page.text and 'value="done"' not in page.text
    moved = _post(client, f"/ideas/{idea.id}/status", {"status": "planned"}, follow_redirects=False)
    assert moved.status_code == 303
    refused = _post(client, f"/ideas/{idea.id}/status", {"status": "done"})
    assert refused.status_code == 409 and "can move to" in refused.text
    responded = _post(
        client, f"/ideas/{idea.id}/response", {"response": "Coming in **spring**."}, follow_redirects=False
    )
    assert responded.status_code == 303
    session.refresh(idea)
    assert (idea.status, idea.response) == (IdeaStatus.planned, "Coming in **spring**.")
    assert "<strong>spring</strong>" in client.get(f"/ideas/{idea.id}").text
    assert "Unscented hand soap" in client.get(f"/c/{community.slug}/roadmap").text
    author_notes = session.exec(select(Notification.kind).where(Notification.user_id == idea.author_id)).all()
    assert sorted(author_notes) == ["idea_response", "idea_status"]


def test_moderators_may_hide_but_not_change_the_status(client: TestClient, session: Session) -> None:
    community, idea, _, moderator = _managed_world(session)
    log_in(client, session, moderator)  # type: ignore[arg-type]
    assert _post(client, f"/ideas/{idea.id}/status", {"status": "planned"}).status_code == 403
    assert _post(client, f"/ideas/{idea.id}/hide", {"hidden": "1"}, follow_redirects=False).status_code == 303
    session.refresh(idea)
    assert idea.hidden_at is not None
    # Hidden: gone from the board for members, still seen by the moderator.
    member = make_member(session, community)
    log_in(client, session, member)
    assert client.get(f"/ideas/{idea.id}").status_code == 404
    assert "Unscented hand soap" not in client.get(f"/c/{community.slug}/ideas").text


def test_merging_from_the_page(client: TestClient, session: Session) -> None:
    community, idea, manager, _ = _managed_world(session)
    original = make_idea(session, community, title="Fragrance-free soaps")
    log_in(client, session, manager)  # type: ignore[arg-type]
    bad = _post(client, f"/ideas/{idea.id}/merge", {"into": "abc"})
    assert bad.status_code == 422 and 'value="abc"' in bad.text
    merged = _post(client, f"/ideas/{idea.id}/merge", {"into": f"#{original.id}"}, follow_redirects=False)
    assert (merged.status_code, merged.headers["location"]) == (303, f"/ideas/{original.id}")
    page = client.get(f"/ideas/{idea.id}").text
    assert "was merged into" in page and ">Merged</span>" in page
    # Nothing left to do on the duplicate: no follow button, no status, tags, response, merge or hide forms.
    assert f'action="/ideas/{idea.id}/follow"' not in page and "For the team" not in page
    assert _post(client, f"/ideas/{idea.id}/follow", {}).status_code == 409


def test_comment_on_an_idea_by_htmx(client: TestClient, session: Session) -> None:
    community = make_community(session)
    idea = make_idea(session, community)
    log_in(client, session, make_member(session, community))
    thread = _post(client, f"/ideas/{idea.id}/comments", {"body": "Great **idea**"}, headers=HTMX)
    assert thread.status_code == 200 and "<html" not in thread.text
    assert 'id="comments"' in thread.text and "<strong>idea</strong>" in thread.text
    assert f'action="/ideas/{idea.id}/comments"' in thread.text
    empty = _post(client, f"/ideas/{idea.id}/comments", {"body": "  "})
    assert empty.status_code == 422 and "<html" in empty.text and idea.title in empty.text


def test_the_changelog_shows_voters_what_they_voted_for(client: TestClient, session: Session) -> None:
    community = make_community(session)
    idea = make_idea(session, community, title="Compostable sponges")
    voter = make_member(session, community)
    ideas_votes.vote(session, idea=idea, voter=voter)
    manager = make_user(session)
    for status in ("planned", "in_progress", "done"):
        ideas_managing.change_status(session, idea=idea, actor=manager, status=status)
    log_in(client, session, voter)
    page = client.get(f"/c/{community.slug}/changelog")
    assert "Compostable sponges" in page.text and "You voted for this" in page.text
    assert "Done: Compostable sponges" in client.get("/notifications").text
