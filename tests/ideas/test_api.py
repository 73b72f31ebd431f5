"""The ideas API through the TestClient: the same services as the pages, {"detail": ...} on refusals."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.brands.models import StaffRole
from app.ideas import posting as ideas_posting
from tests.factories import add_staff, csrf_token, log_in, make_brand, make_community, make_user, png_bytes
from tests.ideas.factories import make_idea, make_member


def test_a_member_posts_votes_and_follows_through_the_api(client: TestClient, session: Session) -> None:
    community = make_community(session)
    member = make_member(session, community)
    log_in(client, session, member)
    headers = {"x-csrftoken": csrf_token(client)}
    category = client.post(
        f"/api/v1/communities/{community.slug}/idea-categories", json={"name": "Scents"}, headers=headers
    )
    assert category.status_code == 403  # members do not make categories
    created = client.post(
        f"/api/v1/communities/{community.slug}/ideas",
        json={"title": "A citrus scent for the spray", "description": "Like lemons."},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    idea = created.json()
    assert (idea["status"], idea["author_handle"], idea["follower_count"], idea["voted"]) == (
        "open",
        member.handle,
        1,
        False,
    )
    bad = client.post(f"/api/v1/communities/{community.slug}/ideas", json={"title": "x"}, headers=headers)
    assert bad.status_code == 422 and "detail" in bad.json()

    photo = client.put(
        f"/api/v1/ideas/{idea['id']}/photo", files={"photo": ("p.png", png_bytes(9), "image/png")}, headers=headers
    )
    assert photo.status_code == 200 and photo.json()["thumbnail_url"].startswith("/media/renditions/")

    voter = make_member(session, community)
    log_in(client, session, voter)
    first = client.put(f"/api/v1/ideas/{idea['id']}/vote", headers=headers).json()
    second = client.put(f"/api/v1/ideas/{idea['id']}/vote", headers=headers).json()
    assert (first["vote_count"], first["changed"], second["vote_count"], second["changed"]) == (1, True, 1, False)
    assert client.get(f"/api/v1/ideas/{idea['id']}").json()["voted"] is True
    assert client.delete(f"/api/v1/ideas/{idea['id']}/follow", headers=headers).json()["following"] is False
    taken = client.delete(f"/api/v1/ideas/{idea['id']}/vote", headers=headers).json()
    assert (taken["vote_count"], taken["voted"]) == (0, False)
    someone_elses = client.put(
        f"/api/v1/ideas/{idea['id']}/photo", files={"photo": ("p.png", png_bytes(9), "image/png")}, headers=headers
    )
    assert someone_elses.status_code == 403


def test_listing_searching_and_the_roadmap(client: TestClient, session: Session) -> None:
    community = make_community(session)
    make_idea(session, community, title="Refill pouches", vote_count=4)
    planned = make_idea(session, community, title="Glass bottles", vote_count=2, status="planned")
    listed = client.get(f"/api/v1/communities/{community.slug}/ideas", params={"sort": "top"}).json()
    assert [entry["title"] for entry in listed] == ["Refill pouches", "Glass bottles"]
    assert [
        e["title"] for e in client.get(f"/api/v1/communities/{community.slug}/ideas", params={"q": "bottl"}).json()
    ] == ["Glass bottles"]
    similar = client.get(f"/api/v1/communities/{community.slug}/ideas/similar", params={"title": "refill bag"}).json()
    assert [entry["title"] for entry in similar] == ["Refill pouches"]
    roadmap = client.get(f"/api/v1/communities/{community.slug}/roadmap").json()
    columns = {column["status"]: column for column in roadmap["columns"]}
    assert [entry["id"] for entry in columns["planned"]["ideas"]] == [planned.id]
    assert columns["done"]["count"] == 0
    assert client.get(f"/api/v1/communities/{community.slug}/changelog").json() == []


def test_managers_run_the_board_through_the_api(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    community = make_community(session, brand)
    manager = make_user(session)
    add_staff(session, brand, manager, StaffRole.manager)
    author = make_member(session, community)
    idea = ideas_posting.post_idea(session, community=community, author=author, title="Refill stations in shops")
    duplicate = make_idea(session, community, title="Refill stations please")
    log_in(client, session, manager)
    headers = {"x-csrftoken": csrf_token(client)}
    assert client.post(f"/api/v1/ideas/{idea.id}/status", json={"status": "done"}, headers=headers).status_code == 409
    moved = client.post(f"/api/v1/ideas/{idea.id}/status", json={"status": "planned"}, headers=headers).json()
    assert moved["status"] == "planned" and moved["status_changed_at"]
    answered = client.put(
        f"/api/v1/ideas/{idea.id}/response", json={"response": "Testing in 3 shops."}, headers=headers
    )
    assert answered.json()["response"] == "Testing in 3 shops."
    assert client.put(f"/api/v1/ideas/{idea.id}/tags", json={"tags": ["Stores", "refill"]}, headers=headers).json()[
        "tags"
    ] == ["refill", "stores"]
    merged = client.post(f"/api/v1/ideas/{duplicate.id}/merge", json={"into": idea.id}, headers=headers)
    assert merged.status_code == 200 and merged.json()["id"] == idea.id
    assert client.get(f"/api/v1/ideas/{duplicate.id}").json()["merged_into_id"] == idea.id
    hidden = client.put(f"/api/v1/ideas/{idea.id}/hidden", json={"hidden": True}, headers=headers).json()
    assert hidden["hidden"] is True
    comments = client.get(f"/api/v1/ideas/{idea.id}/comments")
    assert comments.status_code == 200 and comments.json() == []
