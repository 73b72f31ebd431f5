"""JSON API for product reviews: the same services as the reviews page."""

from typing import Annotated

from fastapi import APIRouter, File, Response, UploadFile, status
from sqlmodel import Session

from app.campaigns.deps import CampaignAccess, campaign_access
from app.columns import PageNumber, id_of
from app.db import SessionDep
from app.disclosure import service as disclosure_service
from app.disclosure.schemas import disclosures_public
from app.permissions import Action
from app.reviews import schemas
from app.reviews import service as reviews_service
from app.reviews.models import Review

router = APIRouter(tags=["reviews"])
ONE = "/communities/{community_slug}/campaigns/{campaign_slug}/reviews"


def _public(row: reviews_service.ReviewRow) -> schemas.ReviewPublic:
    review = row.review
    return schemas.ReviewPublic(
        id=id_of(review),
        rating=review.rating,
        body=review.body,
        author_handle=row.author.handle,
        author_display_name=row.author.display_name,
        disclosures=disclosures_public(row.disclosures),
        photo_url=row.photo_url,
        thumbnail_url=row.thumbnail_url,
        created_at=review.created_at,
        edited_at=review.edited_at,
        hidden=review.is_hidden,
    )


def _own(session: Session, access: CampaignAccess, review: Review | None) -> schemas.OwnReview:
    assert access.user is not None
    row = None
    if review is not None:
        disclosures = disclosure_service.disclosures_for(
            session, brand_id=access.community.brand_id, user_ids=[id_of(access.user)]
        )
        image_urls = reviews_service.photo_urls(session, review=review)
        row = reviews_service.ReviewRow(
            review=review,
            author=access.user,
            thumbnail_url=image_urls[0],
            photo_url=image_urls[1],
            disclosures=disclosures[id_of(access.user)],
        )
    return schemas.OwnReview(
        standing=reviews_service.reviewer_standing(session, campaign=access.campaign, user=access.user),
        review=_public(row) if row is not None else None,
    )


@router.get(ONE, summary="A product's reviews, newest first, with the rating distribution")
def list_reviews(
    session: SessionDep, page: PageNumber = 1, access: CampaignAccess = campaign_access(Action.view_campaign)
) -> schemas.ReviewList:
    summary = reviews_service.rating_summary(session, campaign=access.campaign)
    listing = reviews_service.list_reviews(
        session,
        campaign=access.campaign,
        community=access.community,
        page=page,
        viewer=access.user,
        may_moderate=access.can(Action.moderate_community),
    )
    return schemas.ReviewList(
        product_name=access.campaign.product_name,
        summary=schemas.RatingSummaryPublic(counts=summary.counts, total=summary.total, average=summary.average),
        reviews=[_public(row) for row in listing.rows],
        page=listing.page,
        pages=listing.pages,
        total=listing.total,
    )


@router.get(ONE + "/mine", summary="Whether I may review the product, and my review")
def own_review(
    session: SessionDep, access: CampaignAccess = campaign_access(Action.take_part_in_campaign)
) -> schemas.OwnReview:
    assert access.user is not None
    return _own(session, access, reviews_service.own_review(session, campaign=access.campaign, user=access.user))


@router.post(
    ONE,
    status_code=status.HTTP_201_CREATED,
    summary="Publish my review (connectors with a delivered kit, respondents who tried it)",
    description="One review per person: 409 when there is one already, or when the caller may not review.",
)
def publish(
    body: schemas.ReviewWrite,
    session: SessionDep,
    access: CampaignAccess = campaign_access(Action.take_part_in_campaign),
) -> schemas.OwnReview:
    assert access.user is not None
    review = reviews_service.publish_review(
        session,
        campaign=access.campaign,
        community=access.community,
        author=access.user,
        rating=body.rating,
        body=body.body,
    )
    return _own(session, access, review)


@router.put(ONE + "/mine", summary="Edit my review")
def edit(
    body: schemas.ReviewWrite,
    session: SessionDep,
    access: CampaignAccess = campaign_access(Action.take_part_in_campaign),
) -> schemas.OwnReview:
    assert access.user is not None
    review = reviews_service.require_own_review(session, campaign=access.campaign, user=access.user)
    reviews_service.edit_review(session, review=review, editor=access.user, rating=body.rating, body=body.body)
    return _own(session, access, review)


@router.put(ONE + "/mine/photo", summary="Set the photo of my review (PNG, JPEG or WebP)")
def set_photo(
    session: SessionDep,
    photo: Annotated[UploadFile, File()],
    access: CampaignAccess = campaign_access(Action.take_part_in_campaign),
) -> schemas.OwnReview:
    assert access.user is not None
    review = reviews_service.require_own_review(session, campaign=access.campaign, user=access.user)
    reviews_service.edit_review(
        session,
        review=review,
        editor=access.user,
        rating=review.rating,
        body=review.body,
        photo=reviews_service.Photo(photo.file, photo.filename or "", photo.content_type or ""),
    )
    return _own(session, access, review)


@router.delete(ONE + "/mine", status_code=status.HTTP_204_NO_CONTENT, summary="Withdraw my review")
def withdraw(session: SessionDep, access: CampaignAccess = campaign_access(Action.take_part_in_campaign)) -> Response:
    assert access.user is not None
    review = reviews_service.require_own_review(session, campaign=access.campaign, user=access.user)
    reviews_service.withdraw_review(session, review=review, author=access.user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/communities/{community_slug}/campaigns/{campaign_slug}/reviews.csv",
    summary="Every shown review with its author's disclosures, as CSV (brand staff)",
    response_class=Response,
    responses={
        200: {
            "content": {"text/csv": {}},
            "description": "One row per shown review, disclosures included",  # i18n: ignore
        }
    },
)
def reviews_csv(
    session: SessionDep, access: CampaignAccess = campaign_access(Action.view_campaign_progress)
) -> Response:
    return Response(
        reviews_service.export_reviews_csv(session, campaign=access.campaign, community=access.community),
        media_type="text/csv; charset=utf-8",  # i18n: ignore
        headers={"Content-Disposition": f'attachment; filename="{access.campaign.slug}-reviews.csv"'},  # i18n: ignore
    )
