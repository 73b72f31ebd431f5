"""The reviews JSON API: listing with the summary, one's standing, publishing once (409 after), editing, the photo,
withdrawing, and the staff-only CSV; drafts and invite-only communities stay hidden."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.brands.models import Brand, StaffRole
from app.campaigns.models import Campaign, CampaignStatus
from app.communities.models import Community, CommunityKind, Visibility
from tests.campaigns.factories import make_campaign
from tests.factories import add_member, add_staff, csrf_token, log_in, make_community, make_user, png_bytes
from tests.reviews.factories import make_connector, make_respondent


@pytest.fixture
def world(session: Session) -> tuple[Campaign, Community]:
    community = make_community(session, kind=CommunityKind.feedback)
    return make_campaign(session, community, phase="feedback"), community


def _api(world: tuple[Campaign, Community], tail: str = "") -> str:
    campaign, community = world
    return f"/api/v1/communities/{community.slug}/campaigns/{campaign.slug}/reviews{tail}"


def test_publish_once_then_edit_photo_and_withdraw(
    session: Session, client: TestClient, world: tuple[Campaign, Community]
) -> None:
    connector = make_connector(session, *world)
    log_in(client, session, connector)
    headers = {"x-csrftoken": csrf_token(client)}
    assert client.get(_api(world, "/mine")).json() == {"standing": "connector", "review": None}
    created = client.post(_api(world), json={"rating": 5, "body": "Great"}, headers=headers)
    assert created.status_code == 201
    mine = created.json()["review"]
    assert (mine["rating"], mine["body"], mine["author_handle"]) == (5, "Great", connector.handle)
    assert [d["kind"] for d in mine["disclosures"]] == ["free_sample"]
    again = client.post(_api(world), json={"rating": 1, "body": "Again"}, headers=headers)
    assert again.status_code == 409 and "already" in again.json()["detail"]
    edited = client.put(_api(world, "/mine"), json={"rating": 3, "body": "Fine"}, headers=headers)
    assert (edited.json()["review"]["rating"], edited.json()["review"]["edited_at"] is not None) == (3, True)
    photo = client.put(
        _api(world, "/mine/photo"), files={"photo": ("p.png", png_bytes(9), "image/png")}, headers=headers
    )
    assert photo.status_code == 200 and photo.json()["review"]["thumbnail_url"].startswith("/media/")
    listed = client.get(_api(world)).json()
    assert listed["summary"] == {"counts": {"1": 0, "2": 0, "3": 1, "4": 0, "5": 0}, "total": 1, "average": 3.0}
    assert [review["id"] for review in listed["reviews"]] == [mine["id"]]
    assert client.delete(_api(world, "/mine"), headers=headers).status_code == 204
    assert client.get(_api(world)).json()["total"] == 0
    assert client.delete(_api(world, "/mine"), headers=headers).status_code == 409


def test_bad_input_is_422_and_ineligible_is_409(
    session: Session, client: TestClient, world: tuple[Campaign, Community]
) -> None:
    member = make_user(session)
    add_member(session, world[1], member)
    log_in(client, session, member)
    headers = {"x-csrftoken": csrf_token(client)}
    assert client.post(_api(world), json={"rating": 7, "body": "x"}, headers=headers).status_code == 422
    assert client.post(_api(world), json={"rating": 4, "body": ""}, headers=headers).status_code == 422
    refused = client.post(_api(world), json={"rating": 4, "body": "Sneaky"}, headers=headers)
    assert refused.status_code == 409 and "tried it" in refused.json()["detail"]
    assert client.get(_api(world, "/mine")).json() == {"standing": None, "review": None}


def test_a_respondent_who_tried_it_reviews(
    session: Session, client: TestClient, world: tuple[Campaign, Community]
) -> None:
    connector = make_connector(session, *world)
    friend = make_respondent(session, *world, connector)
    log_in(client, session, friend)
    assert client.get(_api(world, "/mine")).json()["standing"] == "respondent"
    created = client.post(
        _api(world), json={"rating": 4, "body": "My friend gave me one"}, headers={"x-csrftoken": csrf_token(client)}
    )
    assert created.status_code == 201


def test_the_csv_is_for_the_brands_staff(
    session: Session, client: TestClient, world: tuple[Campaign, Community]
) -> None:
    connector = make_connector(session, *world)
    log_in(client, session, connector)
    client.post(_api(world), json={"rating": 5, "body": "=HYPERLINK(1)"}, headers={"x-csrftoken": csrf_token(client)})
    assert client.get(_api(world, ".csv")).status_code == 403
    analyst = make_user(session)
    brand = session.get(Brand, world[1].brand_id)
    assert brand is not None
    add_staff(session, brand, analyst, StaffRole.analyst)
    log_in(client, session, analyst)
    exported = client.get(_api(world, ".csv"))
    lines = exported.text.splitlines()
    assert lines[0] == "review_id,created_at,rating,author_handle,author_name,disclosures,text,photo_url"
    assert len(lines) == 2 and "'=HYPERLINK(1)" in lines[1] and "Received a free sample from" in lines[1]


def test_drafts_and_invite_only_communities_stay_hidden(session: Session, client: TestClient) -> None:
    hidden = make_community(session, visibility=Visibility.invite_only)
    campaign = make_campaign(session, hidden, phase="feedback")
    assert client.get(f"/api/v1/communities/{hidden.slug}/campaigns/{campaign.slug}/reviews").status_code == 401
    outsider = make_user(session)
    log_in(client, session, outsider)
    assert client.get(f"/api/v1/communities/{hidden.slug}/campaigns/{campaign.slug}/reviews").status_code == 404
    public = make_community(session)
    draft = make_campaign(session, public, phase="feedback", status=CampaignStatus.draft)
    assert client.get(f"/api/v1/communities/{public.slug}/campaigns/{draft.slug}/reviews").status_code == 404
    assert client.get(f"/c/{public.slug}/campaigns/{draft.slug}/reviews").status_code == 404
