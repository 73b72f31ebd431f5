"""Reviews of a campaign's product: who may publish one, publishing, editing and withdrawing one's own, hiding
(moderation), and reading them with the rating distribution.

Who may review is ``reviewer_standing``: the campaign's connectors once their own kit is delivered, and
respondents who tried the product (``app.campaigns.samplers``) through the link of a connector whose kit was
delivered. One review each, by the unique constraint on (campaign, author): two publishes at once insert one row,
and the other is answered 409.
"""

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import BinaryIO

from sqlalchemy import ColumnElement, and_, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update

from app import rate_limits
from app.accounts.models import User
from app.campaigns import samplers as campaign_samplers
from app.campaigns.lifecycle import campaign_url
from app.campaigns.models import Campaign, CampaignStatus
from app.columns import id_of, utcnow
from app.communities.models import Community
from app.config import get_settings
from app.disclosure import service as disclosure_service
from app.errors import Conflict, Forbidden, Invalid
from app.i18n import N_, _
from app.i18n.formatting import format_number
from app.insights.exports import csv_chunks
from app.media import service as media_service
from app.media.models import MediaImage
from app.moderation import screening as moderation_screening
from app.moderation.models import SubjectKind
from app.reviews.models import BODY_MAX_LENGTH, RATINGS, Review
from app.webhooks import service as webhooks_service

PAGE_SIZE = 10
ALREADY_REVIEWED = N_("You have reviewed this product already: edit your review instead.")


class ReviewerStanding(StrEnum):
    """Why someone may review: their own kit was delivered, or they tried a sample from a connector's kit."""

    connector = "connector"
    respondent = "respondent"


@dataclass(frozen=True)
class Photo:
    """An uploaded photo as the image pipeline takes it."""

    upload: BinaryIO
    filename: str = ""
    content_type: str = ""


@dataclass(frozen=True)
class RatingSummary:
    """The shown reviews' ratings: how many gave each star count (1 to 5, all present), their number and mean."""

    counts: dict[int, int]
    total: int
    average: float | None

    def share(self, rating: int) -> float:
        """The fraction of the reviews that gave ``rating`` (0 when there are none)."""
        return self.counts[rating] / self.total if self.total else 0.0


@dataclass(frozen=True)
class ReviewRow:
    review: Review
    author: User
    thumbnail_url: str | None
    photo_url: str | None
    disclosures: list[disclosure_service.Disclosure]


@dataclass(frozen=True)
class ReviewPage:
    rows: list[ReviewRow]
    page: int
    pages: int
    total: int


# ------------------------------------------------------------------------------------------------------------
# Who may review
# ------------------------------------------------------------------------------------------------------------


def reviewer_standing(session: Session, *, campaign: Campaign, user: User) -> ReviewerStanding | None:
    """Why the user may review the campaign's product, or None when they may not (yet)."""
    if campaign.status != CampaignStatus.published:
        return None
    if campaign_samplers.delivered_kit(session, campaign=campaign, user_id=id_of(user)) is not None:
        return ReviewerStanding.connector
    if campaign_samplers.tried_through_delivered_kit(session, campaign=campaign, user=user):
        return ReviewerStanding.respondent
    return None


def require_reviewer(session: Session, *, campaign: Campaign, user: User) -> ReviewerStanding:
    standing = reviewer_standing(session, campaign=campaign, user=user)
    if standing is None:
        raise Conflict(
            _(
                "Reviews of %(product)s are for the people who tried it: connectors once their kit is "
                "delivered, and friends who rated it in the survey through a connector's link.",
                product=campaign.product_name,
            )
        )
    return standing


# ------------------------------------------------------------------------------------------------------------
# Writing
# ------------------------------------------------------------------------------------------------------------


def _clean(rating: int | str | None, body: str) -> tuple[int, str]:
    errors: dict[str, str] = {}
    try:
        number = int(rating) if rating is not None and str(rating).strip() else 0
    except ValueError:
        number = 0
    if number not in RATINGS:
        errors["rating"] = _("Choose a rating from 1 to 5 stars.")
    body = body.strip()
    if not body:
        errors["body"] = _("Tell others what you thought of it.")
    elif len(body) > BODY_MAX_LENGTH:
        errors["body"] = _(
            "Keep it under %(limit)s characters (this is %(length)s).",
            limit=format_number(BODY_MAX_LENGTH),
            length=format_number(len(body)),
        )
    if errors:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
    return number, body


def _ingest(session: Session, photo: Photo | None, author: User) -> MediaImage | None:
    if photo is None:
        return None
    try:
        return media_service.ingest_image(
            session,
            upload=photo.upload,
            uploaded_by=author,
            declared_filename=photo.filename,
            declared_content_type=photo.content_type,
        )
    except Invalid as error:
        raise Invalid(_("Please correct the marked fields."), fields={"photo": error.message}) from error


def own_review(session: Session, *, campaign: Campaign, user: User) -> Review | None:
    """The user's review of the campaign's product, unless they withdrew it."""
    review = session.exec(select(Review).where(Review.campaign_id == campaign.id, Review.author_id == user.id)).first()
    return review if review is not None and not review.is_withdrawn else None


def require_own_review(session: Session, *, campaign: Campaign, user: User) -> Review:
    review = own_review(session, campaign=campaign, user=user)
    if review is None:
        raise Conflict(_("You have no review of %(product)s to change.", product=campaign.product_name))
    return review


def publish_review(
    session: Session,
    *,
    campaign: Campaign,
    community: Community,
    author: User,
    rating: int | str | None,
    body: str,
    photo: Photo | None = None,
    now: datetime | None = None,
) -> Review:
    """Publish one's review of the campaign's product (once; a withdrawn one is published again in its place).

    Screened like every post: held for review when it contains a blocked word or the author is under
    pre-moderation; the brand's webhooks hear of it (``review_published``) once it is shown.
    """
    now = now or utcnow()
    rating, body = _clean(rating, body)
    require_reviewer(session, campaign=campaign, user=author)
    rate_limits.hit(
        get_settings().comment_rate_per_account,
        "review",
        str(author.id),
        message=_("You are posting very fast; wait a moment before the next review."),
    )
    image = _ingest(session, photo, author)
    values = {
        "rating": rating,
        "body": body,
        "image_id": image.id if image is not None else None,
        "created_at": now,
        "edited_at": None,
        "withdrawn_at": None,
    }
    # A withdrawn review comes back in place; the condition makes a concurrent publish see none to revive.
    revived = session.execute(
        update(Review)
        .where(col(Review.campaign_id) == campaign.id, col(Review.author_id) == author.id)
        .where(col(Review.withdrawn_at).is_not(None))
        .values(**values)
        .returning(col(Review.id))
    ).first()
    if revived is not None:
        review = session.get(Review, revived.id)
        assert review is not None
        session.refresh(review)
    else:
        review = Review(campaign_id=id_of(campaign), author_id=id_of(author), **values)  # type: ignore[arg-type]
        try:
            with session.begin_nested():
                session.add(review)
                session.flush()
        except IntegrityError as error:
            raise Conflict(_(ALREADY_REVIEWED)) from error
    if review.is_hidden or moderation_screening.screen_post(
        session,
        community=community,
        author=author,
        kind=SubjectKind.review,
        subject_id=id_of(review),
        text=body,
        now=now,
    ):
        return review  # held (or still hidden): nobody hears of it until a moderator shows it (announce_review)
    _emit_review_published(session, review=review, campaign=campaign, community=community, author=author)
    return review


def edit_review(
    session: Session,
    *,
    review: Review,
    editor: User,
    rating: int | str | None,
    body: str,
    photo: Photo | None = None,
    remove_photo: bool = False,
    now: datetime | None = None,
) -> Review:
    """Change one's own review: its rating, text and photo (a new photo replaces the old one)."""
    if review.author_id != editor.id:
        raise Forbidden(_("Only its author may edit a review."))
    if review.is_withdrawn:
        raise Conflict(_("This review is withdrawn."))
    review.rating, review.body = _clean(rating, body)
    image = _ingest(session, photo, editor)
    if image is not None:
        review.image_id = image.id
    elif remove_photo:
        review.image_id = None
    review.edited_at = now or utcnow()
    session.add(review)
    session.flush()
    return review


def withdraw_review(session: Session, *, review: Review, author: User, now: datetime | None = None) -> Review:
    """Take one's own review off the product's page (it may be published again later)."""
    if review.author_id != author.id:
        raise Forbidden(_("Only its author may withdraw a review."))
    session.execute(
        update(Review)
        .where(col(Review.id) == review.id, col(Review.withdrawn_at).is_(None))
        .values(withdrawn_at=now or utcnow())
    )
    session.refresh(review)
    return review


def set_review_hidden(session: Session, *, review_id: int, hidden: bool, now: datetime | None = None) -> None:
    """Hide a review from the product's page (moderation), or show it again."""
    session.execute(
        update(Review).where(col(Review.id) == review_id).values(hidden_at=(now or utcnow()) if hidden else None)
    )
    review = session.get(Review, review_id)
    if review is not None:
        session.refresh(review)


def announce_review(session: Session, *, review_id: int) -> None:
    """Tell of a review that was held for review and is now approved: the webhook its publishing would have sent."""
    review = session.get(Review, review_id)
    if review is None or review.is_withdrawn:
        return
    campaign = session.get(Campaign, review.campaign_id)
    community = session.get(Community, campaign.community_id) if campaign is not None else None
    author = session.get(User, review.author_id)
    if campaign is None or community is None or author is None:
        return
    _emit_review_published(session, review=review, campaign=campaign, community=community, author=author)


def _emit_review_published(
    session: Session, *, review: Review, campaign: Campaign, community: Community, author: User
) -> None:
    disclosures = disclosure_service.disclosures_for(session, brand_id=community.brand_id, user_ids=[id_of(author)])[
        id_of(author)
    ]
    webhooks_service.emit_event(
        session,
        brand_id=community.brand_id,
        event="review_published",
        payload={
            "review": {
                "id": review.id,
                "rating": review.rating,
                "body": review.body,
                "created_at": review.created_at.isoformat(),
                "url": get_settings().base_url.rstrip("/") + review_link(campaign, community, review),
            },
            "author": {"handle": author.handle, "display_name": author.display_name},
            "disclosures": [{"kind": str(found.kind), "text": found.text} for found in disclosures],
            "campaign": {"slug": campaign.slug, "title": campaign.title, "product_name": campaign.product_name},
            "community": {"slug": community.slug, "name": community.name},
        },
    )


# ------------------------------------------------------------------------------------------------------------
# Reading
# ------------------------------------------------------------------------------------------------------------


def reviews_url(campaign: Campaign, community: Community) -> str:
    return f"{campaign_url(campaign, community)}/reviews"


def review_link(campaign: Campaign, community: Community, review: Review) -> str:
    return f"{reviews_url(campaign, community)}#review-{review.id}"


def _shown() -> ColumnElement[bool]:
    """Reviews the product's page shows everyone: neither withdrawn nor hidden."""
    return and_(col(Review.withdrawn_at).is_(None), col(Review.hidden_at).is_(None))


def rating_summary(session: Session, *, campaign: Campaign) -> RatingSummary:
    """How the shown reviews rate the product: one grouped count."""
    rows = session.exec(
        select(Review.rating, func.count())
        .where(Review.campaign_id == campaign.id, _shown())
        .group_by(col(Review.rating))
    ).all()
    counts = {rating: 0 for rating in RATINGS}
    counts.update({int(rating): int(count) for rating, count in rows})
    total = sum(counts.values())
    average = sum(rating * count for rating, count in counts.items()) / total if total else None
    return RatingSummary(counts=counts, total=total, average=average)


def _rows(session: Session, *, brand_id: int, pairs: Sequence[tuple[Review, User]]) -> list[ReviewRow]:
    """Reviews with their authors, photos and disclosures: one query for the images, one per disclosure rule."""
    image_ids = {review.image_id for review, _ in pairs if review.image_id is not None}
    images = (
        {id_of(image): image for image in session.exec(select(MediaImage).where(col(MediaImage.id).in_(image_ids)))}
        if image_ids
        else {}
    )
    disclosures = disclosure_service.disclosures_for(
        session, brand_id=brand_id, user_ids={id_of(author) for _, author in pairs}
    )
    rows = []
    for review, author in pairs:
        image = images.get(review.image_id) if review.image_id is not None else None
        rows.append(
            ReviewRow(
                review=review,
                author=author,
                thumbnail_url=media_service.rendition_url(image, "thumbnail") if image is not None else None,
                photo_url=media_service.rendition_url(image, "display") if image is not None else None,
                disclosures=disclosures[id_of(author)],
            )
        )
    return rows


def list_reviews(
    session: Session,
    *,
    campaign: Campaign,
    community: Community,
    page: int = 1,
    viewer: User | None = None,
    may_moderate: bool = False,
) -> ReviewPage:
    """A page of the product's reviews, newest first. Hidden ones are left out, except for the moderators and for
    their own author (who sees a notice with it)."""
    conditions: list[ColumnElement[bool]] = [col(Review.campaign_id) == campaign.id, col(Review.withdrawn_at).is_(None)]
    if not may_moderate:
        shown = col(Review.hidden_at).is_(None)
        conditions.append(shown | (col(Review.author_id) == viewer.id) if viewer is not None else shown)
    total = session.exec(select(func.count()).select_from(Review).where(*conditions)).one()
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(page, 1), pages)
    pairs = session.exec(
        select(Review, User)
        .join(User, col(User.id) == Review.author_id)
        .where(*conditions)
        .order_by(col(Review.created_at).desc(), col(Review.id).desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    rows = _rows(session, brand_id=community.brand_id, pairs=pairs)
    return ReviewPage(rows=rows, page=page, pages=pages, total=int(total))


def photo_urls(session: Session, *, review: Review) -> tuple[str | None, str | None]:
    """The review photo's thumbnail and display URLs (None, None without a photo)."""
    image = session.get(MediaImage, review.image_id) if review.image_id is not None else None
    if image is None:
        return None, None
    return media_service.rendition_url(image, "thumbnail"), media_service.rendition_url(image, "display")


CSV_HEADER = ["review_id", "created_at", "rating", "author_handle", "author_name", "disclosures", "text", "photo_url"]


def export_reviews_csv(session: Session, *, campaign: Campaign, community: Community) -> str:
    """The shown reviews as CSV text, formulas neutralised (a campaign has a few hundred reviews at most)."""
    return "".join(csv_chunks(CSV_HEADER, _csv_rows(session, campaign=campaign, community=community)))


def _csv_rows(session: Session, *, campaign: Campaign, community: Community) -> Iterator[list[object]]:
    """Every shown review as a CSV row, newest first, with its author's disclosure badges (one cell)."""
    pairs = session.exec(
        select(Review, User)
        .join(User, col(User.id) == Review.author_id)
        .where(Review.campaign_id == campaign.id, _shown())
        .order_by(col(Review.created_at).desc(), col(Review.id).desc())
    ).all()
    base = get_settings().base_url.rstrip("/")
    for row in _rows(session, brand_id=community.brand_id, pairs=pairs):
        yield [
            row.review.id,
            row.review.created_at.isoformat(),
            row.review.rating,
            row.author.handle,
            row.author.display_name,
            disclosure_service.disclosure_texts(row.disclosures),
            row.review.body,
            base + row.photo_url if row.photo_url and row.photo_url.startswith("/") else row.photo_url or "",
        ]
