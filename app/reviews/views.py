"""The product's reviews page of a campaign: the rating distribution and the reviews (paged, htmx swaps the list),
publishing, editing and withdrawing one's own, and the staff's CSV export."""

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlmodel import Session

from app.campaigns.deps import CampaignAccess, campaign_access
from app.columns import PageNumber
from app.db import SessionDep
from app.errors import AppError
from app.i18n import _
from app.permissions import Action
from app.reviews import service as reviews_service
from app.web import flash
from app.web.forms import form_error
from app.web.requests import redirect
from app.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]
PhotoFile = Annotated[UploadFile | None, File()]
BASE = "/c/{community_slug}/campaigns/{campaign_slug}/reviews"
PAGE = "reviews/reviews.html"


def _photo(photo: UploadFile | None) -> reviews_service.Photo | None:
    if photo is None or not photo.filename:
        return None
    return reviews_service.Photo(photo.file, photo.filename, photo.content_type or "")


def _context(session: Session, access: CampaignAccess, *, page: int = 1, **form: Any) -> dict[str, Any]:
    campaign, community = access.campaign, access.community
    mine = reviews_service.own_review(session, campaign=campaign, user=access.user) if access.user else None
    standing = (
        reviews_service.reviewer_standing(session, campaign=campaign, user=access.user)
        if access.user is not None and access.can(Action.take_part_in_campaign)
        else None
    )
    return {
        "community": community,
        "campaign": campaign,
        "access": access,
        "Action": Action,
        "reviews_url": reviews_service.reviews_url(campaign, community),
        "summary": reviews_service.rating_summary(session, campaign=campaign),
        "listing": reviews_service.list_reviews(
            session,
            campaign=campaign,
            community=community,
            page=page,
            viewer=access.user,
            may_moderate=access.can(Action.moderate_community),
        ),
        "mine": mine,
        "standing": standing,
        "may_report": access.can(Action.report_content),
        "form": form,
    }


@router.get(BASE, name="reviews:list")
def reviews_page(
    request: Request,
    session: SessionDep,
    page: PageNumber = 1,
    access: CampaignAccess = campaign_access(Action.view_campaign),
) -> Response:
    """The whole page, or only the list of reviews for htmx paging."""
    return render(request, PAGE, _context(session, access, page=page), block="review_list")


def _failed(request: Request, session: Session, access: CampaignAccess, error: AppError, **form: Any) -> Response:
    return form_error(request, session, PAGE, _context(session, access, **form), error, block="own_review")


def _done(request: Request, access: CampaignAccess, message: str, anchor: str = "") -> Response:
    """The reviews page again, with the message. Only a browser without JS is sent to the review's anchor: htmx
    assigns the address, and one that differs from the page's only by its anchor would scroll, not load."""
    url = reviews_service.reviews_url(access.campaign, access.community)
    response = redirect(request, url if is_htmx(request) else url + anchor)
    flash.add(response, request, message)
    return response


@router.post(BASE, name="reviews:publish")
def publish(
    request: Request,
    session: SessionDep,
    rating: FormText = "",
    body: FormText = "",
    photo: PhotoFile = None,
    access: CampaignAccess = campaign_access(Action.take_part_in_campaign),
) -> Response:
    assert access.user is not None
    try:
        review = reviews_service.publish_review(
            session,
            campaign=access.campaign,
            community=access.community,
            author=access.user,
            rating=rating,
            body=body,
            photo=_photo(photo),
        )
    except AppError as error:
        return _failed(request, session, access, error, rating=rating, body=body)
    return _done(request, access, _("Your review is published."), f"#review-{review.id}")


@router.post(BASE + "/mine/edit", name="reviews:edit")
def edit(
    request: Request,
    session: SessionDep,
    rating: FormText = "",
    body: FormText = "",
    remove_photo: FormText = "",
    photo: PhotoFile = None,
    access: CampaignAccess = campaign_access(Action.take_part_in_campaign),
) -> Response:
    assert access.user is not None
    try:
        review = reviews_service.require_own_review(session, campaign=access.campaign, user=access.user)
        reviews_service.edit_review(
            session,
            review=review,
            editor=access.user,
            rating=rating,
            body=body,
            photo=_photo(photo),
            remove_photo=remove_photo == "1",
        )
    except AppError as error:
        return _failed(request, session, access, error, rating=rating, body=body, editing=True)
    return _done(request, access, _("Your review is saved."), f"#review-{review.id}")


@router.post(BASE + "/mine/withdraw", name="reviews:withdraw")
def withdraw(
    request: Request, session: SessionDep, access: CampaignAccess = campaign_access(Action.take_part_in_campaign)
) -> Response:
    assert access.user is not None
    try:
        review = reviews_service.require_own_review(session, campaign=access.campaign, user=access.user)
        reviews_service.withdraw_review(session, review=review, author=access.user)
    except AppError as error:
        return _failed(request, session, access, error)
    return _done(request, access, _("Your review is withdrawn."))


@router.get("/c/{community_slug}/campaigns/{campaign_slug}/reviews.csv", name="reviews:csv")
def reviews_csv(
    session: SessionDep, access: CampaignAccess = campaign_access(Action.view_campaign_progress)
) -> Response:
    """Every shown review with its author's disclosures, for the brand's staff."""
    return Response(
        reviews_service.export_reviews_csv(session, campaign=access.campaign, community=access.community),
        media_type="text/csv; charset=utf-8",  # i18n: ignore
        headers={"Content-Disposition": f'attachment; filename="{access.campaign.slug}-reviews.csv"'},  # i18n: ignore
    )
