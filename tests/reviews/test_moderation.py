"""Moderation covers reviews as it covers comments: a member reports one (page and API), the moderators see it in
the queue with its text and hide it, and a blocked word holds a new review until a moderator approves it, only
then telling the brand's webhooks."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.brands.models import Brand
from app.campaigns.models import Campaign
from app.communities.models import Community, CommunityKind, MemberRole
from app.moderation import decisions as moderation_decisions
from app.moderation import screening as moderation_screening
from app.moderation.models import ModerationItem
from app.reviews import service as reviews_service
from app.webhooks.models import WebhookDelivery
from tests.campaigns.factories import make_campaign
from tests.factories import add_member, csrf_token, log_in, make_community, make_user
from tests.reviews.factories import make_connector
from tests.webhooks.factories import make_endpoint


@pytest.fixture
def world(session: Session) -> tuple[Campaign, Community]:
    community = make_community(session, kind=CommunityKind.feedback)
    return make_campaign(session, community, phase="feedback"), community


def test_a_member_reports_a_review_and_a_moderator_hides_it(
    session: Session, client: TestClient, world: tuple[Campaign, Community]
) -> None:
    campaign, community = world
    author = make_connector(session, campaign, community)
    review = reviews_service.publish_review(
        session, campaign=campaign, community=community, author=author, rating=1, body="Buy followers at spam.example"
    )
    reporter = make_user(session)
    add_member(session, community, reporter)
    log_in(client, session, reporter)
    page = client.get(f"/c/{community.slug}/campaigns/{campaign.slug}/reviews").text
    assert f'href="/c/{community.slug}/report/review/{review.id}"' in page
    reported = client.post(
        f"/api/v1/communities/{community.slug}/reports",
        json={"subject_kind": "review", "subject_id": review.id, "reason": "spam"},
        headers={"x-csrftoken": csrf_token(client)},
    )
    assert reported.status_code == 201, reported.text

    moderator = make_user(session)
    add_member(session, community, moderator, MemberRole.moderator)
    log_in(client, session, moderator)
    queue = client.get(f"/api/v1/communities/{community.slug}/moderation/queue").json()
    (entry,) = [item for item in queue if item["subject_kind"] == "review"]
    assert "Buy followers" in str(entry)
    decided = client.post(
        f"/api/v1/communities/{community.slug}/moderation/decisions",
        json={"item_ids": [entry["id"]], "decision": "hide", "reason": "Spam"},
        headers={"x-csrftoken": csrf_token(client)},
    )
    assert decided.status_code == 200, decided.text
    session.refresh(review)
    assert review.is_hidden
    assert client.get(f"/api/v1/communities/{community.slug}/campaigns/{campaign.slug}/reviews").json()["total"] == 1
    log_in(client, session, reporter)
    assert client.get(f"/api/v1/communities/{community.slug}/campaigns/{campaign.slug}/reviews").json()["total"] == 0


def test_a_held_review_tells_the_webhooks_only_once_approved(
    session: Session, world: tuple[Campaign, Community]
) -> None:
    campaign, community = world
    brand = session.get(Brand, community.brand_id)
    assert brand is not None
    endpoint = make_endpoint(session, brand, events=["review_published"])
    moderator = make_user(session)
    add_member(session, community, moderator, MemberRole.moderator)
    moderation_screening.update_settings(
        session, community=community, moderator=moderator, auto_hide_threshold=3, premoderation=False,
        premoderation_posts=1, blocked_words="casino",
    )  # fmt: skip
    author = make_connector(session, campaign, community)
    review = reviews_service.publish_review(
        session, campaign=campaign, community=community, author=author, rating=5, body="Better than the casino"
    )
    assert review.is_hidden

    def deliveries() -> int:
        return len(session.exec(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)).all())

    assert deliveries() == 0
    item = session.exec(select(ModerationItem).where(ModerationItem.subject_id == review.id)).one()
    moderation_decisions.decide(
        session, community=community, moderator=moderator, item_ids=[item.id or 0], decision="restore", reason="Fine"
    )
    session.refresh(review)
    assert not review.is_hidden and deliveries() == 1
