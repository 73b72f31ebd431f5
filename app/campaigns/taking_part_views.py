"""HTML pages for taking part in a sampling campaign: applying, and the connector's own page (address, kit, share
link and QR code, samples, RSVP)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.campaigns import applications as campaign_applications
from app.campaigns import connectors as campaign_connectors
from app.campaigns import households as campaign_households
from app.campaigns import lifecycle as campaign_lifecycle
from app.campaigns import links as share_links
from app.campaigns import roundtables as campaign_roundtables
from app.campaigns.deps import CampaignAccess, campaign_access
from app.campaigns.models import ShipmentStatus
from app.campaigns.views import FormText, campaign_page_url, page_context
from app.columns import utcnow
from app.db import SessionDep
from app.errors import AppError, Invalid
from app.i18n import _
from app.permissions import Action
from app.web import flash
from app.web.forms import form_error
from app.web.requests import redirect
from app.web.templating import render

router = APIRouter(include_in_schema=False)


# --- Applying ------------------------------------------------------------------------------------------------


def _address_form(
    recipient_name: FormText = "",
    address_line1: FormText = "",
    address_line2: FormText = "",
    city: FormText = "",
    postcode: FormText = "",
    country: FormText = "",
) -> dict[str, str]:
    return dict(locals())


AddressForm = Annotated[dict[str, str], Depends(_address_form)]


def _apply_context(access: CampaignAccess, **extra: object) -> dict[str, Any]:
    return page_context(
        access, campaign=access.campaign, phase=campaign_lifecycle.phase(access.campaign, utcnow()), **extra
    )


@router.get("/c/{community_slug}/campaigns/{campaign_slug}/apply", name="campaigns:apply")
def apply_page(request: Request, access: CampaignAccess = campaign_access(Action.take_part_in_campaign)) -> Response:
    return render(request, "campaigns/apply.html", _apply_context(access, form={}))


@router.post("/c/{community_slug}/campaigns/{campaign_slug}/apply")
async def apply(
    request: Request,
    session: SessionDep,
    address: AddressForm,
    network_size: FormText = "",
    motivation: FormText = "",
    access: CampaignAccess = campaign_access(Action.take_part_in_campaign),
) -> Response:
    assert access.user is not None
    submitted = await request.form()
    answers = {
        question["key"]: str(submitted.get(f"answer_{question['key']}", ""))
        for question in access.campaign.eligibility_questions
    }
    form = {**address, "network_size": network_size, "motivation": motivation}
    form.update({f"answer_{key}": value for key, value in answers.items()})
    try:
        size = int(network_size) if network_size.strip().isdigit() else None
        campaign_applications.apply_to_campaign(
            session,
            campaign=access.campaign,
            community=access.community,
            user=access.user,
            network_size=size,
            answers=answers,
            address=campaign_households.Address(**address),
            motivation=motivation,
        )
    except AppError as error:
        return form_error(request, session, "campaigns/apply.html", _apply_context(access, form=form), error)
    response = redirect(request, campaign_page_url(access, "/mine"))
    flash.add(response, request, _("Your application is in. We will tell you when the brand has decided."))
    return response


# --- The connector's own page -------------------------------------------------------------------------------------


def _mine_context(session: Session, access: CampaignAccess, **extra: object) -> dict[str, Any]:
    assert access.user is not None
    dashboard = campaign_connectors.connector_dashboard(session, campaign=access.campaign, user=access.user)
    link_url = share_links.share_url(dashboard.link) if dashboard.link else ""
    application = dashboard.application
    address_form = (
        {name: getattr(application, name) for name in campaign_households.ADDRESS_FIELDS} if application else {}
    )
    return page_context(
        access,
        campaign=access.campaign,
        phase=campaign_lifecycle.phase(access.campaign, utcnow()),
        dashboard=dashboard,
        link_url=link_url,
        qr=share_links.qr_svg(link_url) if link_url else "",
        form=extra.pop("form", address_form),
        **extra,
    )


@router.get("/c/{community_slug}/campaigns/{campaign_slug}/mine", name="campaigns:mine")
def mine_page(
    request: Request, session: SessionDep, access: CampaignAccess = campaign_access(Action.take_part_in_campaign)
) -> Response:
    return render(request, "campaigns/mine.html", _mine_context(session, access))


@router.post("/c/{community_slug}/campaigns/{campaign_slug}/mine/address", name="campaigns:address")
def change_address(
    request: Request,
    session: SessionDep,
    address: AddressForm,
    access: CampaignAccess = campaign_access(Action.take_part_in_campaign),
) -> Response:
    assert access.user is not None
    try:
        campaign_applications.update_address(
            session, campaign=access.campaign, user=access.user, address=campaign_households.Address(**address)
        )
    except AppError as error:
        context = _mine_context(session, access, form=address)
        return form_error(request, session, "campaigns/mine.html", context, error, block="address")
    response = redirect(request, campaign_page_url(access, "/mine"))
    flash.add(response, request, _("Your shipping address is saved."))
    return response


@router.post("/c/{community_slug}/campaigns/{campaign_slug}/mine/withdraw", name="campaigns:withdraw")
def withdraw(
    request: Request, session: SessionDep, access: CampaignAccess = campaign_access(Action.take_part_in_campaign)
) -> Response:
    assert access.user is not None
    campaign_applications.withdraw_application(session, campaign=access.campaign, user=access.user)
    response = redirect(request, campaign_page_url(access))
    flash.add(response, request, _("Your application is withdrawn."), "info")
    return response


@router.post("/c/{community_slug}/campaigns/{campaign_slug}/mine/receipt", name="campaigns:receipt")
def receipt(
    request: Request,
    session: SessionDep,
    problem: FormText = "",
    access: CampaignAccess = campaign_access(Action.take_part_in_campaign),
) -> Response:
    assert access.user is not None
    try:
        shipment = campaign_applications.confirm_receipt(
            session, campaign=access.campaign, user=access.user, problem=problem
        )
    except AppError as error:
        context = _mine_context(session, access, problem=problem)
        return form_error(request, session, "campaigns/mine.html", context, error, block="kit")
    response = redirect(request, campaign_page_url(access, "/mine"))
    arrived = shipment.status == ShipmentStatus.delivered
    flash.add(
        response,
        request,
        _("Thanks: your kit is marked as arrived.") if arrived else _("Thanks: we will look into it."),
    )
    return response


@router.post("/c/{community_slug}/campaigns/{campaign_slug}/mine/samples", name="campaigns:samples")
def samples(
    request: Request,
    session: SessionDep,
    samples_passed_on: FormText = "",
    access: CampaignAccess = campaign_access(Action.take_part_in_campaign),
) -> Response:
    assert access.user is not None
    try:
        text = samples_passed_on.strip()
        if not text.removeprefix("-").isdigit():
            raise Invalid(
                _("Please correct the marked fields."), fields={"samples_passed_on": _("Enter a whole number.")}
            )
        # A negative count goes on to the service, whose message gives the range.
        campaign_connectors.record_samples_passed_on(
            session, campaign=access.campaign, user=access.user, count=int(text)
        )
    except AppError as error:
        context = _mine_context(session, access, samples_value=samples_passed_on)
        return form_error(request, session, "campaigns/mine.html", context, error, block="network")
    response = redirect(request, campaign_page_url(access, "/mine"))
    flash.add(response, request, _("Samples passed on: saved."))
    return response


@router.post("/c/{community_slug}/campaigns/{campaign_slug}/mine/rsvp", name="campaigns:rsvp")
def rsvp(
    request: Request,
    session: SessionDep,
    attending: FormText = "",
    access: CampaignAccess = campaign_access(Action.take_part_in_campaign),
) -> Response:
    assert access.user is not None
    campaign_roundtables.answer_rsvp(session, campaign=access.campaign, user=access.user, attending=attending == "yes")
    response = redirect(request, campaign_page_url(access, "/mine"))
    flash.add(
        response, request, _("Thanks for letting us know.") if attending == "yes" else _("Sorry you cannot come.")
    )
    return response


@router.get("/c/{community_slug}/campaigns/{campaign_slug}/mine/qr.svg", name="campaigns:qr")
def qr_code(session: SessionDep, access: CampaignAccess = campaign_access(Action.take_part_in_campaign)) -> Response:
    """The connector's share link as an SVG QR code, to print or save."""
    assert access.user is not None
    link = campaign_connectors.connector_link(session, campaign=access.campaign, user=access.user)
    if link is None:
        raise Invalid(_("You get a share link once your application is accepted."), status_code=409)
    svg = share_links.qr_svg(share_links.share_url(link))
    return Response(
        svg,
        media_type="image/svg+xml",
        headers={"Content-Disposition": f'inline; filename="{access.campaign.slug}-qr.svg"'},
    )
