"""Q&A pages: full pages and htmx fragments, asking with and without JS (and as a visitor), answering, votes by
htmx, accepting, and the helpful-answers count on a profile."""

from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, select

from app.brands.models import Brand, StaffRole
from app.communities.models import MemberRole
from app.moderation.models import ModerationItem
from app.questions.models import CommunityAnswer, CommunityQuestion
from tests.factories import add_member, add_staff, csrf_token, log_in, make_brand, make_community, make_user
from tests.ideas.factories import make_member
from tests.questions.factories import allow_visitors, make_answer, make_question

HTMX = {"HX-Request": "true"}


def _post(client: TestClient, url: str, data: dict[str, str] | None = None, **kwargs: object) -> Response:
    return client.post(url, data={**(data or {}), "csrftoken": csrf_token(client)}, **kwargs)  # type: ignore[arg-type]


def test_the_list_page_its_fragment_and_the_unanswered_tab(client: TestClient, session: Session) -> None:
    community = make_community(session)
    answered = make_question(session, community, title="Is the refill pouch recyclable?")
    make_answer(session, answered)
    make_question(session, community, title="Which shops stock the spray?")
    assert f'href="/c/{community.slug}/questions"' in client.get(f"/c/{community.slug}").text
    full = client.get(f"/c/{community.slug}/questions")
    assert full.status_code == 200 and "<html" in full.text
    assert "Is the refill pouch recyclable?" in full.text and "Unanswered (1)" in full.text
    assert "Log in to ask and answer" in full.text
    fragment = client.get(f"/c/{community.slug}/questions", params={"q": "recycl"}, headers=HTMX)
    assert "<html" not in fragment.text and "recyclable" in fragment.text and "Which shops" not in fragment.text
    unanswered = client.get(f"/c/{community.slug}/questions", params={"unanswered": "1"})
    assert "Which shops" in unanswered.text and "recyclable?" not in unanswered.text


def test_asking_keeps_what_was_typed_on_errors_and_suggests_similar(client: TestClient, session: Session) -> None:
    community = make_community(session)
    make_question(session, community, title="Does the refill fit the old bottle?")
    member = make_member(session, community)
    log_in(client, session, member)
    similar = client.get(f"/c/{community.slug}/questions/similar", params={"title": "refill bottle"}, headers=HTMX)
    assert "<html" not in similar.text and "Does the refill fit the old bottle?" in similar.text
    checked = _post(client, f"/c/{community.slug}/questions/new", {"title": "old bottle refill?", "check": "1"})
    assert checked.status_code == 200 and "Does the refill fit the old bottle?" in checked.text
    bad = _post(client, f"/c/{community.slug}/questions/new", {"title": "Why?", "body": "Because I wonder"})
    assert bad.status_code == 422 and "Because I wonder" in bad.text and "at least 10 characters" in bad.text
    assert session.exec(select(CommunityQuestion).where(CommunityQuestion.title == "Why?")).first() is None
    asked = _post(
        client, f"/c/{community.slug}/questions/new", {"title": "Is it safe for cats?"}, follow_redirects=False
    )
    assert asked.status_code == 303
    page = client.get(asked.headers["location"])
    assert "Is it safe for cats?" in page.text and "Following ✓" in page.text


def test_a_visitor_asks_on_the_page_where_allowed(client: TestClient, session: Session) -> None:
    community = make_community(session)
    assert "Log in to ask" in client.get(f"/c/{community.slug}/questions/new").text
    allow_visitors(session, community)
    form = client.get(f"/c/{community.slug}/questions/new")
    assert "You are asking as a visitor" in form.text and 'name="visitor_name"' in form.text
    asked = _post(
        client,
        f"/c/{community.slug}/questions/new",
        {"title": "Do you ship to Canada?", "visitor_name": "Alex"},
        follow_redirects=False,
    )
    assert asked.status_code == 303 and asked.headers["location"] == f"/c/{community.slug}/questions"
    question = session.exec(select(CommunityQuestion)).one()
    assert question.is_hidden and question.visitor_name == "Alex"


def test_answer_vote_by_htmx_accept_and_the_brand_badge(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    community = make_community(session, brand)
    asker, voter = make_member(session, community), make_member(session, community)
    staff = make_user(session)
    add_staff(session, brand, staff, StaffRole.analyst)
    question = make_question(session, community, asker)
    log_in(client, session, staff)
    empty = _post(client, f"/questions/{question.id}/answers", {"body": " "})
    assert empty.status_code == 422 and "Write your answer." in empty.text
    posted = _post(client, f"/questions/{question.id}/answers", {"body": "Yes, since 2020."}, follow_redirects=False)
    assert posted.status_code == 303
    answer = session.exec(select(CommunityAnswer)).one()
    assert 'class="badge badge-brand"' in client.get(f"/questions/{question.id}").text

    log_in(client, session, voter)
    voted = _post(client, f"/answers/{answer.id}/vote", headers=HTMX)
    assert voted.status_code == 200 and "<html" not in voted.text and "Voted ✓" in voted.text
    assert "Accept this answer" not in client.get(f"/questions/{question.id}").text

    log_in(client, session, asker)
    accepted = _post(client, f"/answers/{answer.id}/accept", follow_redirects=False)
    assert accepted.status_code == 303
    page = client.get(f"/questions/{question.id}").text
    assert "✓ Accepted answer" in page and "Take back the acceptance" in page
    profile = client.get(f"/u/{staff.handle}").text
    assert "<strong>1</strong> helpful answer " in profile


def test_managers_turn_visitors_questions_on(client: TestClient, session: Session) -> None:
    community = make_community(session)
    manager = make_user(session)
    add_staff(session, session.get_one(Brand, community.brand_id), manager)
    log_in(client, session, manager)
    assert "Visitors may ask too" in client.get(f"/c/{community.slug}/questions").text
    saved = _post(client, f"/c/{community.slug}/questions/settings", {"visitors_may_ask": "1"}, follow_redirects=False)
    assert saved.status_code == 303
    client.cookies.clear()
    assert "You are asking as a visitor" in client.get(f"/c/{community.slug}/questions/new").text


def test_a_visitors_question_in_the_moderation_queue_and_its_item_page(client: TestClient, session: Session) -> None:
    community = make_community(session)
    allow_visitors(session, community)
    _post(client, f"/c/{community.slug}/questions/new", {"title": "Do you ship to Canada?", "visitor_name": "Alex"})
    item = session.exec(select(ModerationItem)).one()
    moderator = make_user(session)
    add_member(session, community, moderator, MemberRole.moderator)
    log_in(client, session, moderator)
    queue = client.get(f"/c/{community.slug}/moderation")
    assert queue.status_code == 200 and "Do you ship to Canada?" in queue.text
    page = client.get(f"/c/{community.slug}/moderation/items/{item.id}")
    assert page.status_code == 200 and "Do you ship to Canada?" in page.text
    decided = _post(
        client,
        f"/c/{community.slug}/moderation/decide",
        {"item_ids": str(item.id), "decision": "restore", "reason": ""},
        follow_redirects=False,
    )
    assert decided.status_code == 303
    assert "Do you ship to Canada?" in client.get(f"/c/{community.slug}/questions").text
