"""The Q&A API through the TestClient: the same services as the pages, {"detail": ...} on refusals."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.brands.models import Brand, StaffRole
from app.communities.models import MemberRole
from tests.factories import add_member, add_staff, csrf_token, log_in, make_brand, make_community, make_user
from tests.ideas.factories import make_member
from tests.questions.factories import make_answer, make_question


def test_ask_answer_vote_and_accept_through_the_api(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    community = make_community(session, brand)
    asker, helper, voter = (make_member(session, community) for _ in range(3))
    staff = make_user(session)
    add_staff(session, brand, staff, StaffRole.manager)

    log_in(client, session, asker)
    headers = {"x-csrftoken": csrf_token(client)}
    bad = client.post(f"/api/v1/communities/{community.slug}/questions", json={"title": "Why?"}, headers=headers)
    assert bad.status_code == 422 and "detail" in bad.json()
    created = client.post(
        f"/api/v1/communities/{community.slug}/questions",
        json={"title": "Does the refill fit the old bottle?", "body": "The 2024 one."},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    question = created.json()
    assert (question["asked_by"]["handle"], question["answered"], question["follower_count"]) == (
        asker.handle,
        False,
        1,
    )

    log_in(client, session, helper)
    headers = {"x-csrftoken": csrf_token(client)}
    answer = client.post(f"/api/v1/questions/{question['id']}/answers", json={"body": "Yes, it does."}, headers=headers)
    assert answer.status_code == 201 and answer.json()["by_brand"] is False
    log_in(client, session, staff)
    headers = {"x-csrftoken": csrf_token(client)}
    brand_answer = client.post(
        f"/api/v1/questions/{question['id']}/answers", json={"body": "Every bottle since 2020."}, headers=headers
    )
    assert brand_answer.status_code == 201 and brand_answer.json()["by_brand"] is True

    log_in(client, session, voter)
    headers = {"x-csrftoken": csrf_token(client)}
    answer_id = answer.json()["id"]
    assert client.put(f"/api/v1/answers/{answer_id}/vote", headers=headers).json()["vote_count"] == 1
    again = client.put(f"/api/v1/answers/{answer_id}/vote", headers=headers).json()
    assert (again["vote_count"], again["changed"]) == (1, False)
    refused = client.put(f"/api/v1/answers/{answer_id}/accepted", headers=headers)
    assert refused.status_code == 403 and "detail" in refused.json()

    log_in(client, session, asker)
    headers = {"x-csrftoken": csrf_token(client)}
    assert client.put(f"/api/v1/answers/{answer_id}/accepted", headers=headers).json()["changed"] is True
    moved = client.put(f"/api/v1/answers/{brand_answer.json()['id']}/accepted", headers=headers)
    assert moved.status_code == 200
    detail = client.get(f"/api/v1/questions/{question['id']}").json()
    assert [(a["id"], a["accepted"]) for a in detail["answers"]] == [
        (brand_answer.json()["id"], True),
        (answer_id, False),
    ]
    assert detail["may_accept"] is True and detail["accepted"] is True and detail["answer_count"] == 2
    helpful = client.get(f"/api/v1/users/{staff.handle}/helpful-answers").json()
    assert helpful == {"handle": staff.handle, "helpful_answer_count": 1}


def test_visitors_ask_through_the_api_only_where_allowed(client: TestClient, session: Session) -> None:
    community = make_community(session)
    manager = make_user(session)
    add_staff(session, session.get_one(Brand, community.brand_id), manager)
    body = {"title": "Can I buy it in Canada?", "visitor_name": "Alex"}
    headers = {"x-csrftoken": csrf_token(client)}
    refused = client.post(f"/api/v1/communities/{community.slug}/questions", json=body, headers=headers)
    assert refused.status_code == 403 and "Log in and join" in refused.json()["detail"]

    log_in(client, session, manager)
    headers = {"x-csrftoken": csrf_token(client)}
    turned_on = client.put(
        f"/api/v1/communities/{community.slug}/question-settings", json={"visitors_may_ask": True}, headers=headers
    )
    assert turned_on.json() == {"community_slug": community.slug, "visitors_may_ask": True}
    client.cookies.clear()
    headers = {"x-csrftoken": csrf_token(client)}
    asked = client.post(f"/api/v1/communities/{community.slug}/questions", json=body, headers=headers)
    assert asked.status_code == 201, asked.text
    assert asked.json()["hidden"] is True and asked.json()["asked_by"] == {
        "handle": None,
        "display_name": "Alex",
        "is_visitor": True,
        "disclosures": [],
    }
    assert client.get(f"/api/v1/communities/{community.slug}/questions").json() == []
    assert client.get(f"/api/v1/questions/{asked.json()['id']}").status_code == 404  # held: not shown


def test_lists_search_unanswered_and_similar(client: TestClient, session: Session) -> None:
    community = make_community(session)
    answered = make_question(session, community, title="Is the refill pouch recyclable?")
    make_answer(session, answered)
    open_one = make_question(session, community, title="Which shops stock the refill?")
    listed = client.get(f"/api/v1/communities/{community.slug}/questions").json()
    assert [item["id"] for item in listed] == [open_one.id, answered.id]
    unanswered = client.get(f"/api/v1/communities/{community.slug}/questions", params={"unanswered": "true"}).json()
    assert [item["id"] for item in unanswered] == [open_one.id]
    found = client.get(f"/api/v1/communities/{community.slug}/questions", params={"q": "recycl"}).json()
    assert [item["id"] for item in found] == [answered.id]
    similar = client.get(
        f"/api/v1/communities/{community.slug}/questions/similar", params={"title": "refill shops"}
    ).json()
    assert {item["id"] for item in similar} == {answered.id, open_one.id}


def test_moderators_hide_and_others_then_get_404(client: TestClient, session: Session) -> None:
    community = make_community(session)
    question = make_question(session, community)
    answer = make_answer(session, question)
    moderator = make_user(session)
    add_member(session, community, moderator, MemberRole.moderator)
    log_in(client, session, moderator)
    headers = {"x-csrftoken": csrf_token(client)}
    hidden = client.put(f"/api/v1/answers/{answer.id}/hidden", json={"hidden": True}, headers=headers)
    assert hidden.status_code == 200 and hidden.json()["hidden"] is True
    client.put(f"/api/v1/questions/{question.id}/hidden", json={"hidden": True}, headers=headers)
    log_in(client, session, make_member(session, community))
    assert client.get(f"/api/v1/questions/{question.id}").status_code == 404
    headers = {"x-csrftoken": csrf_token(client)}
    assert client.put(f"/api/v1/answers/{answer.id}/vote", headers=headers).status_code == 404
