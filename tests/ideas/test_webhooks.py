"""The ideas board's webhook events: idea_created, idea_status_changed and comment_created (on an idea), each
queued for the brand's subscribed endpoints in the transaction of the change."""

import json

from sqlmodel import Session, col, select

from app.comments import service as comments_service
from app.ideas import managing as ideas_managing
from app.ideas import posting as ideas_posting
from app.webhooks.models import WebhookDelivery
from tests.factories import make_brand, make_community, make_user
from tests.ideas.factories import make_member
from tests.webhooks.factories import make_endpoint


def _deliveries(session: Session, endpoint_id: int | None) -> list[WebhookDelivery]:
    return list(
        session.exec(
            select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id).order_by(col(WebhookDelivery.id))
        )
    )


def test_idea_events_reach_the_brands_subscribed_endpoints(session: Session) -> None:
    brand = make_brand(session)
    community = make_community(session, brand)
    everything = make_endpoint(session, brand, events=["idea_created", "idea_status_changed", "comment_created"])
    statuses_only = make_endpoint(session, brand, events=["idea_status_changed"])
    elsewhere = make_endpoint(session, make_brand(session), events=["idea_created"])
    author = make_member(session, community)

    idea = ideas_posting.post_idea(session, community=community, author=author, title="Refill stations in shops")
    ideas_managing.change_status(session, idea=idea, actor=make_user(session), status="planned")
    comment = comments_service.add_comment(session, idea=idea, author=author, body="Thanks!")

    events = [delivery.event for delivery in _deliveries(session, everything.id)]
    assert events == ["idea_created", "idea_status_changed", "comment_created"]
    created, changed, commented = (
        json.loads(delivery.body)["data"] for delivery in _deliveries(session, everything.id)
    )
    assert created["idea"]["title"] == "Refill stations in shops"
    assert created["idea"]["url"].endswith(f"/ideas/{idea.id}")
    assert created["author"] == {"handle": author.handle, "display_name": author.display_name}
    assert (changed["previous_status"], changed["idea"]["status"]) == ("open", "planned")
    assert commented["idea"] == {"id": idea.id, "title": idea.title}
    assert commented["comment"]["id"] == comment.id
    assert "design" not in commented
    assert [delivery.event for delivery in _deliveries(session, statuses_only.id)] == ["idea_status_changed"]
    assert _deliveries(session, elsewhere.id) == []
