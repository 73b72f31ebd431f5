"""Reviews: who may publish one (only after delivery, only those who tried the product), one per person, editing and
withdrawing, moderation hiding, the rating summary and the review_published webhook."""

import io
import json

import pytest
from sqlmodel import Session, func, select

from app.brands.models import Brand
from app.campaigns.models import Campaign, ShipmentStatus
from app.communities.models import Community, CommunityKind, MemberRole
from app.errors import Conflict, Forbidden, Invalid
from app.moderation import subjects as moderation_subjects
from app.moderation.models import SubjectKind
from app.reviews import service as reviews_service
from app.reviews.models import Review
from app.webhooks.models import WebhookDelivery
from tests.campaigns.factories import make_campaign
from tests.factories import add_member, make_community, make_user, png_bytes
from tests.reviews.factories import make_connector, make_respondent
from tests.webhooks.factories import make_endpoint


@pytest.fixture
def world(session: Session) -> tuple[Campaign, Community]:
    community = make_community(session, kind=CommunityKind.feedback)
    return make_campaign(session, community, phase="feedback"), community


def _publish(session: Session, world: tuple[Campaign, Community], author, rating=5, body="Lovely, it works.", **extra):  # type: ignore[no-untyped-def]
    campaign, community = world
    return reviews_service.publish_review(
        session, campaign=campaign, community=community, author=author, rating=rating, body=body, **extra
    )


def _count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Review)).one()


def test_a_connector_reviews_once_their_kit_is_delivered(session: Session, world: tuple[Campaign, Community]) -> None:
    campaign, community = world
    connector = make_connector(session, campaign, community)
    assert reviews_service.reviewer_standing(session, campaign=campaign, user=connector) == "connector"
    review = _publish(session, world, connector, rating=4, body="Cleans well, smells of **lemon**.")
    assert (review.rating, review.body, review.author_id) == (4, "Cleans well, smells of **lemon**.", connector.id)
    summary = reviews_service.rating_summary(session, campaign=campaign)
    assert (summary.counts, summary.total, summary.average) == ({1: 0, 2: 0, 3: 0, 4: 1, 5: 0}, 1, 4.0)
    listing = reviews_service.list_reviews(session, campaign=campaign, community=community)
    assert [row.review.id for row in listing.rows] == [review.id]
    assert [d.kind for d in listing.rows[0].disclosures] == ["free_sample"]


@pytest.mark.parametrize("status", [ShipmentStatus.pending, ShipmentStatus.shipped, ShipmentStatus.problem])
def test_no_review_before_delivery(session: Session, world: tuple[Campaign, Community], status: ShipmentStatus) -> None:
    campaign, community = world
    connector = make_connector(session, campaign, community, status=status)
    assert reviews_service.reviewer_standing(session, campaign=campaign, user=connector) is None
    with pytest.raises(Conflict, match="for the people who tried it"):
        _publish(session, world, connector)
    assert _count(session) == 0


def test_a_member_without_a_kit_or_a_rating_may_not_review(session: Session, world: tuple[Campaign, Community]) -> None:
    campaign, community = world
    member = make_user(session)
    add_member(session, community, member)
    connector = make_connector(session, campaign, community)
    answered_only = make_respondent(session, campaign, community, connector, rated=False)
    for person in (member, answered_only):
        with pytest.raises(Conflict):
            _publish(session, world, person)
    assert _count(session) == 0


def test_respondents_who_tried_it_review_once_the_connectors_kit_is_delivered(
    session: Session, world: tuple[Campaign, Community]
) -> None:
    campaign, community = world
    delivered = make_connector(session, campaign, community)
    shipped = make_connector(session, campaign, community, status=ShipmentStatus.shipped)
    friend = make_respondent(session, campaign, community, delivered)
    early_friend = make_respondent(session, campaign, community, shipped)
    assert reviews_service.reviewer_standing(session, campaign=campaign, user=friend) == "respondent"
    assert reviews_service.reviewer_standing(session, campaign=campaign, user=early_friend) is None
    _publish(session, world, friend, rating=3)
    with pytest.raises(Conflict):
        _publish(session, world, early_friend)
    assert _count(session) == 1


def test_a_kit_of_another_campaign_does_not_count(session: Session, world: tuple[Campaign, Community]) -> None:
    community = world[1]
    other = make_campaign(session, community, phase="feedback")
    connector = make_connector(session, other, community)
    with pytest.raises(Conflict):
        _publish(session, world, connector)


def test_one_review_per_person_and_withdrawing_lets_them_publish_again(
    session: Session, world: tuple[Campaign, Community]
) -> None:
    campaign, _ = world
    connector = make_connector(session, campaign, world[1])
    first = _publish(session, world, connector, rating=2)
    with pytest.raises(Conflict, match="reviewed this product already"):
        _publish(session, world, connector, rating=5)
    assert _count(session) == 1
    reviews_service.withdraw_review(session, review=first, author=connector)
    assert reviews_service.own_review(session, campaign=campaign, user=connector) is None
    assert reviews_service.rating_summary(session, campaign=campaign).total == 0
    again = _publish(session, world, connector, rating=5, body="Changed my mind.")
    assert again.id == first.id and (again.rating, again.body, again.withdrawn_at) == (5, "Changed my mind.", None)
    assert _count(session) == 1


@pytest.mark.parametrize(
    ("rating", "body", "fields"),
    [(0, "Fine", {"rating"}), (6, "Fine", {"rating"}), ("x", "Fine", {"rating"}), (3, "  ", {"body"}),
     (None, "x" * 5001, {"rating", "body"})],
)  # fmt: skip
def test_bad_input_names_each_field_and_writes_nothing(
    session: Session, world: tuple[Campaign, Community], rating: object, body: str, fields: set[str]
) -> None:
    connector = make_connector(session, *world)
    with pytest.raises(Invalid) as raised:
        _publish(session, world, connector, rating=rating, body=body)
    assert set(raised.value.fields) == fields
    assert _count(session) == 0


def test_a_photo_goes_through_the_image_pipeline(session: Session, world: tuple[Campaign, Community]) -> None:
    connector = make_connector(session, *world)
    with pytest.raises(Invalid) as raised:
        _publish(session, world, connector, photo=reviews_service.Photo(io.BytesIO(b"not an image"), "a.png"))
    assert set(raised.value.fields) == {"photo"}
    review = _publish(
        session, world, connector, photo=reviews_service.Photo(io.BytesIO(png_bytes(3)), "a.png", "image/png")
    )
    thumbnail, display = reviews_service.photo_urls(session, review=review)
    assert thumbnail is not None and thumbnail.startswith("/media/renditions/")
    assert display is not None and display.startswith("/media/renditions/")


def test_editing_and_withdrawing_are_for_the_author(session: Session, world: tuple[Campaign, Community]) -> None:
    campaign, community = world
    connector = make_connector(session, campaign, community)
    other = make_connector(session, campaign, community)
    review = _publish(session, world, connector, rating=2)
    with pytest.raises(Forbidden):
        reviews_service.edit_review(session, review=review, editor=other, rating=5, body="Mine now")
    with pytest.raises(Forbidden):
        reviews_service.withdraw_review(session, review=review, author=other)
    reviews_service.edit_review(session, review=review, editor=connector, rating=5, body="Better after a week.")
    assert (review.rating, review.body) == (5, "Better after a week.") and review.edited_at is not None
    assert reviews_service.rating_summary(session, campaign=campaign).counts[5] == 1


def test_moderation_hides_a_review_from_everyone_but_its_author_and_the_moderators(
    session: Session, world: tuple[Campaign, Community]
) -> None:
    campaign, community = world
    connector = make_connector(session, campaign, community)
    review = _publish(session, world, connector)
    kind = moderation_subjects.subject_type(SubjectKind.review)
    info = moderation_subjects.describe(
        session, kind="review", subject_id=review.id or 0, community_id=community.id or 0
    )
    assert info.author_id == connector.id and info.link.endswith(f"/reviews#review-{review.id}")
    assert kind.hide is not None and kind.restore is not None
    kind.hide(session, review.id or 0)
    visitor_view = reviews_service.list_reviews(session, campaign=campaign, community=community)
    own_view = reviews_service.list_reviews(session, campaign=campaign, community=community, viewer=connector)
    moderator_view = reviews_service.list_reviews(session, campaign=campaign, community=community, may_moderate=True)
    assert (visitor_view.total, own_view.total, moderator_view.total) == (0, 1, 1)
    assert reviews_service.rating_summary(session, campaign=campaign).total == 0
    kind.restore(session, review.id or 0)
    assert reviews_service.list_reviews(session, campaign=campaign, community=community).total == 1
    other_community = make_community(session)
    with pytest.raises(Exception, match="no such content"):
        moderation_subjects.describe(
            session, kind="review", subject_id=review.id or 0, community_id=other_community.id or 0
        )


def test_publishing_tells_the_brands_webhooks(session: Session, world: tuple[Campaign, Community]) -> None:
    campaign, community = world
    brand = session.get(Brand, community.brand_id)
    assert brand is not None
    endpoint = make_endpoint(session, brand, events=["review_published"])
    connector = make_connector(session, campaign, community)
    review = _publish(session, world, connector, rating=4)
    deliveries = session.exec(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)).all()
    assert [delivery.event for delivery in deliveries] == ["review_published"]
    payload = json.loads(deliveries[0].body)["data"]
    assert payload["review"]["id"] == review.id and payload["review"]["rating"] == 4
    assert [found["kind"] for found in payload["disclosures"]] == ["free_sample"]


def test_paging_is_newest_first(session: Session, world: tuple[Campaign, Community]) -> None:
    campaign, community = world
    reviews = [
        _publish(session, world, make_connector(session, campaign, community), rating=1 + n % 5) for n in range(12)
    ]
    first = reviews_service.list_reviews(session, campaign=campaign, community=community, page=1)
    second = reviews_service.list_reviews(session, campaign=campaign, community=community, page=2)
    assert (first.pages, first.total, len(first.rows), len(second.rows)) == (2, 12, 10, 2)
    shown = [row.review.id for row in first.rows + second.rows]
    assert sorted(shown) == sorted(review.id for review in reviews) and len(set(shown)) == 12
    beyond = reviews_service.list_reviews(session, campaign=campaign, community=community, page=99)
    assert beyond.page == 2


def test_connector_role_is_not_enough_without_a_kit(session: Session, world: tuple[Campaign, Community]) -> None:
    campaign, community = world
    member = make_user(session)
    add_member(session, community, member, MemberRole.connector)
    assert reviews_service.reviewer_standing(session, campaign=campaign, user=member) is None
