"""Reviews as moderation sees them: how to describe, load, count, hide, restore and announce them
(app.moderation.subjects)."""

from collections import Counter
from collections.abc import Callable, Collection

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.campaigns.models import Campaign
from app.communities.models import Community
from app.i18n import N_
from app.moderation.models import SubjectKind
from app.moderation.subjects import SubjectContent, SubjectInfo, SubjectType, excerpt
from app.reviews import service as reviews_service
from app.reviews.models import Review


def _describe_review(session: Session, review_id: int, community_id: int) -> SubjectInfo | None:
    """A review of a campaign's product in this community; withdrawn ones are gone."""
    found = session.exec(
        select(Review, Campaign, Community)
        .join(Campaign, col(Campaign.id) == Review.campaign_id)
        .join(Community, col(Community.id) == Campaign.community_id)
        .where(Review.id == review_id, Community.id == community_id)
    ).first()
    if found is None or found[0].is_withdrawn:
        return None
    review, campaign, community = found
    return SubjectInfo(
        community_id=community_id,
        author_id=review.author_id,
        excerpt=excerpt(f"{review.rating}/5 for {campaign.product_name}", review.body),
        link=reviews_service.review_link(campaign, community, review),
        hidden=review.is_hidden,
    )


def _review_contents(session: Session, review_ids: Collection[int]) -> dict[int, SubjectContent]:
    found = session.exec(
        select(Review, Campaign)
        .join(Campaign, col(Campaign.id) == Review.campaign_id)
        .where(col(Review.id).in_(review_ids))
    ).all()
    return {
        review.id or 0: SubjectContent(
            title=f"{review.rating}/5 for {campaign.product_name}", text=review.body, posted_at=review.created_at
        )
        for review, campaign in found
    }


def _count_reviews(session: Session, community_id: int, author_ids: Collection[int]) -> Counter[int]:
    """Reviews (not withdrawn) each author published on the community's campaigns."""
    query = (
        select(Review.author_id, func.count())
        .join(Campaign, col(Campaign.id) == Review.campaign_id)
        .where(Campaign.community_id == community_id, col(Review.author_id).in_(author_ids))
        .where(col(Review.withdrawn_at).is_(None))
        .group_by(col(Review.author_id))
    )
    return Counter(dict(session.exec(query).all()))


def _set_review_hidden(hidden: bool) -> Callable[[Session, int], None]:
    def apply(session: Session, review_id: int) -> None:
        reviews_service.set_review_hidden(session, review_id=review_id, hidden=hidden)

    return apply


SUBJECT_TYPES = (
    SubjectType(
        kind=SubjectKind.review,
        label=N_("review"),
        describe=_describe_review,
        hide=_set_review_hidden(True),
        restore=_set_review_hidden(False),
        announce=lambda session, review_id: reviews_service.announce_review(session, review_id=review_id),
        content=_review_contents,
        count_posts=_count_reviews,
    ),
)
