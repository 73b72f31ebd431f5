"""The reviews page: the rating distribution with text for screen readers, publishing with a photo, the form again
with the error and what was typed (page and htmx fragment), editing, withdrawing, and who sees the form."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.campaigns.models import Campaign
from app.communities.models import Community, CommunityKind
from app.reviews.models import Review
from tests.campaigns.factories import make_campaign
from tests.factories import add_member, csrf_token, log_in, make_community, make_user, png_bytes
from tests.reviews.factories import make_connector


@pytest.fixture
def world(session: Session) -> tuple[Campaign, Community]:
    community = make_community(session, kind=CommunityKind.feedback)
    return make_campaign(session, community, phase="feedback", product_name="Lemon Spray"), community


def _url(world: tuple[Campaign, Community], tail: str = "") -> str:
    campaign, community = world
    return f"/c/{community.slug}/campaigns/{campaign.slug}/reviews{tail}"


def _count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Review)).one()


def test_the_campaign_page_links_to_the_reviews(client: TestClient, world: tuple[Campaign, Community]) -> None:
    campaign, community = world
    page = client.get(f"/c/{community.slug}/campaigns/{campaign.slug}").text
    assert f'href="{_url(world)}"' in page and "Reviews of Lemon Spray" in page


def test_a_connector_publishes_with_a_photo_and_sees_the_distribution(
    session: Session, client: TestClient, world: tuple[Campaign, Community]
) -> None:
    connector = make_connector(session, *world)
    log_in(client, session, connector)
    form = client.get(_url(world)).text
    assert "Publish your review" in form and "Your kit was delivered" in form
    sent = client.post(
        _url(world),
        data={"rating": "4", "body": "Streak-free <script>alert(1)</script> windows"},
        files={"photo": ("photo.png", png_bytes(5), "image/png")},
        headers={"x-csrftoken": csrf_token(client)},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"].startswith(_url(world) + "#review-")
    page = client.get(_url(world)).text
    assert "<script>alert(1)</script>" not in page and "Streak-free" in page
    assert '<p class="rating-average">4.0<span class="visually-hidden"> out of 5</span></p>' in page
    assert '<span class="visually-hidden">4 stars: </span>1</span>' in page
    assert '<span class="visually-hidden">5 stars: </span>0</span>' in page
    assert 'class="review-photo"' in page and "Received a free sample from" in page
    assert "Your review" in page and "Publish your review" not in page


def test_bad_input_shows_the_form_again_with_what_was_typed(
    session: Session, client: TestClient, world: tuple[Campaign, Community]
) -> None:
    connector = make_connector(session, *world)
    log_in(client, session, connector)
    headers = {"x-csrftoken": csrf_token(client)}
    page = client.post(_url(world), data={"rating": "", "body": "Half a thought"}, headers=headers)
    assert page.status_code == 422 and "<html" in page.text
    assert "Choose a rating from 1 to 5 stars." in page.text and ">Half a thought</textarea>" in page.text
    fragment = client.post(
        _url(world), data={"rating": "9", "body": "Typed on htmx"}, headers={**headers, "HX-Request": "true"}
    )
    assert fragment.status_code == 422 and "<html" not in fragment.text
    assert 'id="own-review"' in fragment.text and ">Typed on htmx</textarea>" in fragment.text
    bad_photo = client.post(
        _url(world),
        data={"rating": "3", "body": "With a fake photo"},
        files={"photo": ("photo.png", b"not an image at all", "image/png")},
        headers=headers,
    )
    assert bad_photo.status_code == 422 and 'id="photo-error"' in bad_photo.text
    assert _count(session) == 0


def test_edit_and_withdraw_ones_own_review(
    session: Session, client: TestClient, world: tuple[Campaign, Community]
) -> None:
    connector = make_connector(session, *world)
    log_in(client, session, connector)
    headers = {"x-csrftoken": csrf_token(client)}
    client.post(_url(world), data={"rating": "2", "body": "Meh"}, headers=headers)
    edited = client.post(
        _url(world, "/mine/edit"), data={"rating": "5", "body": "Grew on me"}, headers={**headers, "HX-Request": "true"}
    )
    assert edited.status_code == 204 and edited.headers["HX-Redirect"].startswith(_url(world))
    review = session.exec(select(Review)).one()
    session.refresh(review)
    assert (review.rating, review.body) == (5, "Grew on me")
    withdrawn = client.post(_url(world, "/mine/withdraw"), headers=headers, follow_redirects=False)
    assert withdrawn.status_code == 303
    session.refresh(review)
    assert review.withdrawn_at is not None
    again = client.post(_url(world, "/mine/withdraw"), headers=headers)
    assert again.status_code == 409 and "You have no review" in again.text


def test_members_without_a_kit_and_visitors_get_no_form(
    session: Session, client: TestClient, world: tuple[Campaign, Community]
) -> None:
    visitor_page = client.get(_url(world)).text
    assert "Log in to review it" in visitor_page and "Publish your review" not in visitor_page
    member = make_user(session)
    add_member(session, world[1], member)
    log_in(client, session, member)
    assert "Publish your review" not in client.get(_url(world)).text
    refused = client.post(
        _url(world), data={"rating": "5", "body": "Sneaky"}, headers={"x-csrftoken": csrf_token(client)}
    )
    assert refused.status_code == 409 and ">Sneaky</textarea>" not in refused.text
    assert _count(session) == 0


def test_htmx_paging_swaps_the_list(session: Session, client: TestClient, world: tuple[Campaign, Community]) -> None:
    campaign, community = world
    for _ in range(11):
        review = Review(
            campaign_id=campaign.id or 0,
            author_id=make_connector(session, campaign, community).id or 0,
            rating=5,
            body="Good",
        )
        session.add(review)
    session.flush()
    page = client.get(_url(world)).text
    assert "Page 1 of 2" in page and f'hx-get="{_url(world)}?page=2"' in page
    fragment = client.get(_url(world, "?page=2"), headers={"HX-Request": "true"})
    assert fragment.text.count('class="review"') == 1 and "Page 2 of 2" in fragment.text
    assert "<html" not in fragment.text
