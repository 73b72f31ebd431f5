"""The disclosure badge on every surface that shows a member's post: pages, htmx fragments, JSON and the CSV export,
for reviews, comments, ideas, questions and answers, for each kind of connection, never for members without one, and
never in another brand's community."""

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.brands.models import StaffRole
from app.comments.models import Comment
from app.communities.models import Community
from app.ideas.models import Idea
from app.reviews.models import Review
from tests.disclosure.test_service import EXPECTED, DisclosureWorld, build_world
from tests.factories import add_staff, csrf_token, log_in, make_user
from tests.ideas.factories import make_idea
from tests.questions.factories import make_answer, make_question

BADGE = re.compile(r'data-disclosure="(\w+)"')


@pytest.fixture
def world(session: Session) -> DisclosureWorld:
    return build_world(session)


def _kinds_in(html: str, start: str, end: str) -> list[str]:
    """The disclosure kinds shown in the part of a page from ``start`` to the next ``end``."""
    at = html.index(start)
    return BADGE.findall(html[at : html.index(end, at)])


def _comments_on(session: Session, idea: Idea, world: DisclosureWorld) -> dict[str, int]:
    ids = {}
    for name, person in world.people.items():
        comment = Comment(idea_id=idea.id, author_id=person.id or 0, body=f"Comment by {name}")
        session.add(comment)
        session.flush()
        ids[name] = comment.id or 0
    return ids


def _idea_with_comments(session: Session, world: DisclosureWorld, community: Community) -> tuple[Idea, dict[str, int]]:
    idea = make_idea(session, community, world.people["plain"])
    return idea, _comments_on(session, idea, world)


@pytest.mark.parametrize("brand", ["own", "other"])
def test_comments_page_htmx_fragment_and_json(
    brand: str, session: Session, world: DisclosureWorld, client: TestClient
) -> None:
    community = world.community if brand == "own" else world.other_community
    expected = EXPECTED if brand == "own" else {name: [] for name in EXPECTED}
    idea, comment_ids = _idea_with_comments(session, world, community)

    page = client.get(f"/ideas/{idea.id}").text
    shown = {name: _kinds_in(page, f'id="comment-{cid}"', "</article>") for name, cid in comment_ids.items()}
    assert shown == expected

    log_in(client, session, world.people["plain"])
    fragment = client.post(
        f"/ideas/{idea.id}/comments",
        data={"body": "One more"},
        headers={"HX-Request": "true", "x-csrftoken": csrf_token(client)},
    )
    assert fragment.status_code == 200 and "<html" not in fragment.text
    shown = {name: _kinds_in(fragment.text, f'id="comment-{cid}"', "</article>") for name, cid in comment_ids.items()}
    assert shown == expected

    listed = client.get(f"/api/v1/ideas/{idea.id}/comments").json()
    by_id = {comment["id"]: [d["kind"] for d in comment["disclosures"]] for comment in listed}
    assert {name: by_id[cid] for name, cid in comment_ids.items()} == expected


@pytest.mark.parametrize("brand", ["own", "other"])
def test_ideas_board_idea_page_and_json(
    brand: str, session: Session, world: DisclosureWorld, client: TestClient
) -> None:
    community = world.community if brand == "own" else world.other_community
    expected = EXPECTED if brand == "own" else {name: [] for name in EXPECTED}
    ideas = {name: make_idea(session, community, person) for name, person in world.people.items()}

    board = client.get(f"/c/{community.slug}/ideas?sort=newest").text
    assert {name: _kinds_in(board, f'id="idea-{idea.id}"', "</li>") for name, idea in ideas.items()} == expected
    for name, idea in ideas.items():
        page = client.get(f"/ideas/{idea.id}").text
        assert _kinds_in(page, '<p class="muted">by ', "</p>") == expected[name]

    listed = client.get(f"/api/v1/communities/{community.slug}/ideas?sort=newest").json()
    by_id = {entry["id"]: [d["kind"] for d in entry["disclosures"]] for entry in listed}
    assert {name: by_id[idea.id] for name, idea in ideas.items()} == expected
    one = client.get(f"/api/v1/ideas/{ideas['staff'].id}").json()
    assert [d["text"] for d in one["disclosures"]] == (["Brightleaf staff"] if brand == "own" else [])


def test_reviews_page_htmx_page_json_and_csv(session: Session, world: DisclosureWorld, client: TestClient) -> None:
    """Reviews made directly for every person (the badge does not depend on who may review)."""
    campaign, community = world.campaign, world.community
    review_ids = {}
    for name, person in world.people.items():
        review = Review(campaign_id=campaign.id or 0, author_id=person.id or 0, rating=4, body=f"By {name}")
        session.add(review)
        session.flush()
        review_ids[name] = review.id
    url = f"/c/{community.slug}/campaigns/{campaign.slug}/reviews"

    page = client.get(url).text
    assert {name: _kinds_in(page, f'id="review-{rid}"', "</li>") for name, rid in review_ids.items()} == EXPECTED
    fragment = client.get(url + "?page=1", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'id="review-list"' in fragment.text
    shown = {name: _kinds_in(fragment.text, f'id="review-{rid}"', "</li>") for name, rid in review_ids.items()}
    assert shown == EXPECTED

    listed = client.get(f"/api/v1/communities/{community.slug}/campaigns/{campaign.slug}/reviews").json()
    by_id = {entry["id"]: [d["kind"] for d in entry["disclosures"]] for entry in listed["reviews"]}
    assert {name: by_id[rid] for name, rid in review_ids.items()} == EXPECTED

    manager = make_user(session)
    add_staff(session, world.brand, manager, StaffRole.manager)
    log_in(client, session, manager)
    for csv_url in (url + ".csv", f"/api/v1/communities/{community.slug}/campaigns/{campaign.slug}/reviews.csv"):
        exported = client.get(csv_url)
        assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
        rows = {int(row["review_id"]): row["disclosures"] for row in csv.DictReader(io.StringIO(exported.text))}
        texts = {
            "free_sample": "Received a free sample from Brightleaf",
            "rewards": "Earned rewards from Brightleaf",
            "staff": "Brightleaf staff",
        }
        assert {name: rows[rid] for name, rid in review_ids.items()} == {
            name: "; ".join(texts[kind] for kind in kinds) for name, kinds in EXPECTED.items()
        }


def test_the_rules_page_and_api_come_from_the_rule_table(client: TestClient) -> None:
    page = client.get("/disclosure")
    assert page.status_code == 200
    assert "Received a free sample from Brightleaf" in page.text and "Brightleaf staff" in page.text
    rules = client.get("/api/v1/disclosure/rules").json()
    assert [rule["kind"] for rule in rules] == ["free_sample", "rewards", "staff"]
    assert rules[0]["badge"] == "Received a free sample from {brand}"


@pytest.mark.parametrize("brand", ["own", "other"])
def test_questions_list_question_page_answers_and_json(
    brand: str, session: Session, world: DisclosureWorld, client: TestClient
) -> None:
    """Community Q&A: the asker on the list and on the question's page, every answerer, and the same in the JSON."""
    community = world.community if brand == "own" else world.other_community
    expected = EXPECTED if brand == "own" else {name: [] for name in EXPECTED}
    questions = {name: make_question(session, community, person) for name, person in world.people.items()}
    asked = make_question(session, community, world.people["plain"])
    answers = {name: make_answer(session, asked, person) for name, person in world.people.items()}

    listing = client.get(f"/c/{community.slug}/questions").text
    shown = {name: _kinds_in(listing, f'id="question-{q.id}"', "</li>") for name, q in questions.items()}
    assert shown == expected
    for name, question in questions.items():
        page = client.get(f"/questions/{question.id}").text
        assert _kinds_in(page, "asked by ", "</p>") == expected[name]
    page = client.get(f"/questions/{asked.id}").text
    assert {name: _kinds_in(page, f'id="answer-{a.id}"', "</li>") for name, a in answers.items()} == expected

    listed = client.get(f"/api/v1/communities/{community.slug}/questions").json()
    by_id = {entry["id"]: [d["kind"] for d in entry["asked_by"]["disclosures"]] for entry in listed}
    assert {name: by_id[q.id] for name, q in questions.items()} == expected
    detail = client.get(f"/api/v1/questions/{asked.id}").json()
    by_answer = {entry["id"]: [d["kind"] for d in entry["author"]["disclosures"]] for entry in detail["answers"]}
    assert {name: by_answer[a.id] for name, a in answers.items()} == expected
