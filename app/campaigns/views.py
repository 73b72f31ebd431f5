"""HTML pages for sampling campaigns: the list and campaign page, the managers' form, applying, the connector's
own page (address, kit, share link and QR code, samples, RSVP), the review table with fulfilment, and progress."""

import secrets
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, Signer
from sqlmodel import Session

from app import rate_limits
from app.accounts.deps import Public
from app.campaigns import answering as campaign_answering
from app.campaigns import applications as campaign_applications
from app.campaigns import connectors as campaign_connectors
from app.campaigns import decisions as campaign_decisions
from app.campaigns import households as campaign_households
from app.campaigns import kits as campaign_kits
from app.campaigns import lifecycle as campaign_lifecycle
from app.campaigns import links as share_links
from app.campaigns import roundtables as campaign_roundtables
from app.campaigns.deps import CampaignAccess, JoiningUser, campaign_access
from app.campaigns.models import Campaign, CampaignResponse, ShipmentStatus
from app.columns import utcnow
from app.communities.deps import CommunityAccess, community_access
from app.config import get_settings
from app.db import SessionDep
from app.errors import AppError, Conflict, Invalid
from app.insights import campaign_results as campaign_insights
from app.insights import figures as insight_figures
from app.permissions import Action
from app.surveys.submissions import Answers
from app.web import flash
from app.web.forms import form_error
from app.web.requests import client_ip, redirect
from app.web.templating import render

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]
TEXT_FIELDS = ("title", "slug", "product_name", "brief", "kit_contents", "eligibility")
NUMBER_FIELDS = ("kit_count", "samples_per_kit", "target_network_size")


def _form_context(session: Session, access: CommunityAccess, **extra: object) -> dict[str, Any]:
    surveys = campaign_lifecycle.brand_surveys(session, community=access.community)
    return _base(access, surveys=surveys, **extra)


def _base(access: CommunityAccess, **extra: object) -> dict[str, Any]:
    return {
        "community": access.community,
        "access": access,
        "Action": Action,
        "phase_labels": campaign_lifecycle.PHASE_LABELS,
        **extra,
    }


def _url(access: CampaignAccess, tail: str = "") -> str:
    return campaign_lifecycle.campaign_url(access.campaign, access.community) + tail


@router.get("/c/{community_slug}/campaigns", name="campaigns:list")
def list_page(
    request: Request, session: SessionDep, access: CommunityAccess = community_access(Action.view_campaign)
) -> Response:
    campaigns = campaign_lifecycle.list_campaigns(
        session, community=access.community, include_drafts=access.can(Action.view_campaign_progress)
    )
    now = utcnow()
    rows = [(campaign, campaign_lifecycle.phase(campaign, now)) for campaign in campaigns]
    return render(request, "campaigns/list.html", _base(access, rows=rows))


# --- The managers' form ----------------------------------------------------------------------------------------


def _time_value(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def _form_of(campaign: Campaign) -> dict[str, str]:
    form = {name: str(getattr(campaign, name)) for name in TEXT_FIELDS if name != "eligibility"}
    form["eligibility"] = campaign_lifecycle.eligibility_text(campaign.eligibility_questions)
    form.update({name: str(getattr(campaign, name)) for name in NUMBER_FIELDS})
    form.update({name: _time_value(getattr(campaign, name)) for name in campaign_lifecycle.WINDOW_FIELDS})
    form["survey_id"] = str(campaign.survey_id or "")
    return form


def _parse_fields(form: dict[str, str]) -> campaign_lifecycle.CampaignFields:
    """The typed form as service fields; unreadable times and numbers become field errors for the service."""
    errors: dict[str, str] = {}
    moments: dict[str, datetime] = {}
    for name in campaign_lifecycle.WINDOW_FIELDS:
        try:
            moment = datetime.fromisoformat(form[name].strip())
            moments[name] = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        except ValueError:
            errors[name] = "Enter a date and time (UTC)."
            moments[name] = utcnow()
    numbers: dict[str, int] = {}
    for name in NUMBER_FIELDS:
        value = form[name].strip()
        if not value.isdigit():
            errors[name] = "Use a whole number."
        numbers[name] = int(value) if value.isdigit() else 0
    return campaign_lifecycle.CampaignFields(
        title=form["title"],
        product_name=form["product_name"],
        brief=form["brief"],
        kit_contents=form["kit_contents"],
        eligibility=form["eligibility"],
        errors=errors,
        kit_count=numbers["kit_count"],
        samples_per_kit=numbers["samples_per_kit"],
        target_network_size=numbers["target_network_size"],
        apply_opens_at=moments["apply_opens_at"],
        apply_closes_at=moments["apply_closes_at"],
        ship_closes_at=moments["ship_closes_at"],
        share_closes_at=moments["share_closes_at"],
        feedback_closes_at=moments["feedback_closes_at"],
        survey_id=int(form["survey_id"]) if form["survey_id"].isdigit() else None,
    )


def _campaign_form(
    title: FormText = "",
    slug: FormText = "",
    product_name: FormText = "",
    brief: FormText = "",
    kit_contents: FormText = "",
    eligibility: FormText = "",
    kit_count: FormText = "",
    samples_per_kit: FormText = "",
    target_network_size: FormText = "",
    apply_opens_at: FormText = "",
    apply_closes_at: FormText = "",
    ship_closes_at: FormText = "",
    share_closes_at: FormText = "",
    feedback_closes_at: FormText = "",
    survey_id: FormText = "",
) -> dict[str, str]:
    return dict(locals())


CampaignForm = Annotated[dict[str, str], Depends(_campaign_form)]


@router.get("/c/{community_slug}/campaigns/new", name="campaigns:new")
def new_page(
    request: Request, session: SessionDep, access: CommunityAccess = community_access(Action.manage_campaign)
) -> Response:
    form = {"kit_count": "40", "samples_per_kit": "10", "target_network_size": "25"}
    return render(request, "campaigns/form.html", _form_context(session, access, form=form, campaign=None))


@router.post("/c/{community_slug}/campaigns/new")
def create(
    request: Request,
    session: SessionDep,
    form: CampaignForm,
    access: CommunityAccess = community_access(Action.manage_campaign),
) -> Response:
    assert access.user is not None
    try:
        campaign = campaign_lifecycle.create_campaign(
            session, community=access.community, created_by=access.user, fields=_parse_fields(form), slug=form["slug"]
        )
    except AppError as error:
        context = _form_context(session, access, form=form, campaign=None)
        return form_error(request, session, "campaigns/form.html", context, error)
    response = redirect(request, campaign_lifecycle.campaign_url(campaign, access.community))
    flash.add(response, request, "The campaign is saved as a draft. Publish it when it is ready.")
    return response


@router.get("/c/{community_slug}/campaigns/{campaign_slug}/edit", name="campaigns:edit")
def edit_page(
    request: Request, session: SessionDep, access: CampaignAccess = campaign_access(Action.manage_campaign)
) -> Response:
    context = _form_context(session, access, form=_form_of(access.campaign), campaign=access.campaign)
    return render(request, "campaigns/form.html", context)


@router.post("/c/{community_slug}/campaigns/{campaign_slug}/edit")
def update(
    request: Request,
    session: SessionDep,
    form: CampaignForm,
    access: CampaignAccess = campaign_access(Action.manage_campaign),
) -> Response:
    form["slug"] = access.campaign.slug
    try:
        campaign_lifecycle.update_campaign(session, campaign=access.campaign, fields=_parse_fields(form))
    except AppError as error:
        context = _form_context(session, access, form=form, campaign=access.campaign)
        return form_error(request, session, "campaigns/form.html", context, error)
    response = redirect(request, _url(access))
    flash.add(response, request, "The campaign is saved.")
    return response


@router.post("/c/{community_slug}/campaigns/{campaign_slug}/publish", name="campaigns:publish")
def publish(
    request: Request, session: SessionDep, access: CampaignAccess = campaign_access(Action.manage_campaign)
) -> Response:
    campaign_lifecycle.publish_campaign(session, campaign=access.campaign)
    response = redirect(request, _url(access))
    flash.add(response, request, f"{access.campaign.title} is published.")
    return response


# --- The campaign page ------------------------------------------------------------------------------------------


def _outcome(campaign: Campaign) -> dict[str, Any]:
    """The chart posted with the outcome (its snapshot and its drawing), for the pages that show the outcome."""
    posted = campaign_insights.posted_chart(campaign)
    return {"posted_chart": posted, "outcome_chart": insight_figures.outcome_figure(posted) if posted else None}


@router.get("/c/{community_slug}/campaigns/{campaign_slug}", name="campaigns:detail")
def detail(
    request: Request, session: SessionDep, access: CampaignAccess = campaign_access(Action.view_campaign)
) -> Response:
    application = campaign_applications.get_application(session, campaign=access.campaign, user=access.user)
    context = _base(
        access,
        campaign=access.campaign,
        phase=campaign_lifecycle.phase(access.campaign, utcnow()),
        application=application,
        **_outcome(access.campaign),
    )
    return render(request, "campaigns/detail.html", context)


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
    return _base(access, campaign=access.campaign, phase=campaign_lifecycle.phase(access.campaign, utcnow()), **extra)


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
    response = redirect(request, _url(access, "/mine"))
    flash.add(response, request, "Your application is in. We will tell you when the brand has decided.")
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
    return _base(
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
    response = redirect(request, _url(access, "/mine"))
    flash.add(response, request, "Your shipping address is saved.")
    return response


@router.post("/c/{community_slug}/campaigns/{campaign_slug}/mine/withdraw", name="campaigns:withdraw")
def withdraw(
    request: Request, session: SessionDep, access: CampaignAccess = campaign_access(Action.take_part_in_campaign)
) -> Response:
    assert access.user is not None
    campaign_applications.withdraw_application(session, campaign=access.campaign, user=access.user)
    response = redirect(request, _url(access))
    flash.add(response, request, "Your application is withdrawn.", "info")
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
    response = redirect(request, _url(access, "/mine"))
    arrived = shipment.status == ShipmentStatus.delivered
    flash.add(
        response, request, "Thanks: your kit is marked as arrived." if arrived else "Thanks: we will look into it."
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
            raise Invalid("Please correct the marked fields.", fields={"samples_passed_on": "Enter a whole number."})
        # A negative count goes on to the service, whose message gives the range.
        campaign_connectors.record_samples_passed_on(
            session, campaign=access.campaign, user=access.user, count=int(text)
        )
    except AppError as error:
        context = _mine_context(session, access, samples_value=samples_passed_on)
        return form_error(request, session, "campaigns/mine.html", context, error, block="network")
    response = redirect(request, _url(access, "/mine"))
    flash.add(response, request, "Samples passed on: saved.")
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
    response = redirect(request, _url(access, "/mine"))
    flash.add(response, request, "Thanks for letting us know." if attending == "yes" else "Sorry you cannot come.")
    return response


@router.get("/c/{community_slug}/campaigns/{campaign_slug}/mine/qr.svg", name="campaigns:qr")
def qr_code(session: SessionDep, access: CampaignAccess = campaign_access(Action.take_part_in_campaign)) -> Response:
    """The connector's share link as an SVG QR code, to print or save."""
    assert access.user is not None
    link = campaign_connectors.connector_link(session, campaign=access.campaign, user=access.user)
    if link is None:
        raise Invalid("You get a share link once your application is accepted.", status_code=409)
    svg = share_links.qr_svg(share_links.share_url(link))
    return Response(
        svg,
        media_type="image/svg+xml",
        headers={"Content-Disposition": f'inline; filename="{access.campaign.slug}-qr.svg"'},
    )


# --- Review, selection and fulfilment (managers) -------------------------------------------------------------------


def _review_context(
    session: Session, access: CampaignAccess, *, status: str, eligible: str, sort: str, search: str, **extra: object
) -> dict[str, Any]:
    rows = campaign_applications.list_applications(
        session, campaign=access.campaign, status=status, eligible=eligible, sort=sort, search=search
    )
    return _base(
        access,
        campaign=access.campaign,
        phase=campaign_lifecycle.phase(access.campaign, utcnow()),
        rows=rows,
        household_mates=campaign_households.household_mates(session, campaign=access.campaign),
        filters={"status": status, "eligible": eligible, "sort": sort or "newest", "search": search},
        statuses=list(campaign_applications.REVIEW_FILTERS),
        sorts=list(campaign_applications.APPLICATION_SORTS),
        **extra,
    )


@router.get("/c/{community_slug}/campaigns/{campaign_slug}/applications", name="campaigns:applications")
def applications_page(
    request: Request,
    session: SessionDep,
    status: str = "",
    eligible: str = "",
    sort: str = "",
    search: str = "",
    access: CampaignAccess = campaign_access(Action.manage_campaign),
) -> Response:
    if status not in campaign_applications.REVIEW_FILTERS:
        status = ""
    context = _review_context(session, access, status=status, eligible=eligible, sort=sort, search=search[:80])
    return render(request, "campaigns/applications.html", context, block="table")


@router.post("/c/{community_slug}/campaigns/{campaign_slug}/applications/decide", name="campaigns:decide")
async def decide(
    request: Request,
    session: SessionDep,
    decision: FormText = "",
    access: CampaignAccess = campaign_access(Action.manage_campaign),
) -> Response:
    assert access.user is not None
    submitted = await request.form()
    ids = [int(str(value)) for value in submitted.getlist("application_ids") if str(value).isdigit()]
    try:
        result = campaign_decisions.decide_applications(
            session,
            campaign=access.campaign,
            community=access.community,
            application_ids=ids,
            decision=decision,
            decided_by=access.user,
        )
    except AppError as error:
        context = _review_context(session, access, status="", eligible="", sort="", search="")
        return form_error(request, session, "campaigns/applications.html", context, error)
    response = redirect(request, _url(access, "/applications"))
    _flash_decisions(response, request, result)
    return response


def _flash_decisions(response: Response, request: Request, result: campaign_decisions.DecisionResult) -> None:
    changed = len(result.changed)
    flash.add(response, request, f"{changed} application{'' if changed == 1 else 's'} updated.")
    if result.refused:
        reasons = sorted(set(result.refused.values()))
        flash.add(response, request, f"{len(result.refused)} not changed: {' '.join(reasons)}", "error")


@router.post("/c/{community_slug}/campaigns/{campaign_slug}/applications/auto-select", name="campaigns:auto_select")
def auto_select(
    request: Request,
    session: SessionDep,
    min_network_size: FormText = "1",
    waitlist_the_rest: FormText = "",
    access: CampaignAccess = campaign_access(Action.manage_campaign),
) -> Response:
    assert access.user is not None
    try:
        if not min_network_size.strip().isdigit():
            raise Invalid("Please correct the marked fields.", fields={"min_network_size": "Enter a whole number."})
        result = campaign_decisions.auto_select(
            session,
            campaign=access.campaign,
            community=access.community,
            rules=campaign_decisions.SelectionRules(
                min_network_size=int(min_network_size), waitlist_the_rest=bool(waitlist_the_rest)
            ),
            decided_by=access.user,
        )
    except AppError as error:
        rules_form = {"min_network_size": min_network_size}
        context = _review_context(session, access, status="", eligible="", sort="", search="", rules_form=rules_form)
        return form_error(request, session, "campaigns/applications.html", context, error)
    response = redirect(request, _url(access, "/applications"))
    _flash_decisions(response, request, result)
    return response


@router.get("/c/{community_slug}/campaigns/{campaign_slug}/kits.csv", name="campaigns:kits_csv")
def kits_csv(session: SessionDep, access: CampaignAccess = campaign_access(Action.manage_campaign)) -> Response:
    """The kit list with shipping addresses, for the fulfilment house."""
    content = campaign_kits.export_kits_csv(session, campaign=access.campaign)
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{access.campaign.slug}-kits.csv"'},
    )


@router.post("/c/{community_slug}/campaigns/{campaign_slug}/tracking", name="campaigns:tracking")
def import_tracking(
    request: Request,
    session: SessionDep,
    file: Annotated[UploadFile | None, File()] = None,
    access: CampaignAccess = campaign_access(Action.manage_campaign),
) -> Response:
    try:
        if file is None or not file.filename:
            raise Invalid("Choose the CSV file to import.", fields={"file": "Choose a CSV file."})
        result = campaign_kits.import_tracking(
            session, campaign=access.campaign, community=access.community, content=file.file.read()
        )
    except AppError as error:
        context = _review_context(
            session, access, status="", eligible="", sort="", search="", import_errors=error.fields
        )
        return form_error(request, session, "campaigns/applications.html", context, error)
    response = redirect(request, _url(access, "/applications"))
    flash.add(
        response,
        request,
        f"Imported: {result.shipped} kits shipped, {result.corrected} corrected, {result.unchanged} unchanged.",
    )
    return response


# --- Progress, roundtable and outcome (staff) ------------------------------------------------------------------------


def _progress_context(session: Session, access: CampaignAccess, **extra: object) -> dict[str, Any]:
    progress = campaign_connectors.campaign_progress(session, campaign=access.campaign)
    scope = campaign_insights.campaign_scope(session, campaign=access.campaign)
    return _base(
        access,
        campaign=access.campaign,
        phase=campaign_lifecycle.phase(access.campaign, utcnow()),
        progress=progress,
        invitations=campaign_roundtables.list_invitations(session, campaign=access.campaign),
        chart_choices=campaign_insights.outcome_chart_choices(session, scope=scope),
        **extra,
    )


def _outcome_form(campaign: Campaign) -> dict[str, str]:
    return {"outcome": campaign.outcome, "outcome_chart": campaign_insights.chosen_chart(campaign), "count": "10"}


@router.get("/c/{community_slug}/campaigns/{campaign_slug}/progress", name="campaigns:progress")
def progress_page(
    request: Request, session: SessionDep, access: CampaignAccess = campaign_access(Action.view_campaign_progress)
) -> Response:
    form = _outcome_form(access.campaign)
    return render(request, "campaigns/progress.html", _progress_context(session, access, form=form))


@router.post("/c/{community_slug}/campaigns/{campaign_slug}/roundtable", name="campaigns:roundtable")
def roundtable(
    request: Request,
    session: SessionDep,
    roundtable_at: FormText = "",
    roundtable_details: FormText = "",
    count: FormText = "10",
    access: CampaignAccess = campaign_access(Action.manage_campaign),
) -> Response:
    assert access.user is not None
    form = {"roundtable_at": roundtable_at, "roundtable_details": roundtable_details, "count": count}
    try:
        errors: dict[str, str] = {}
        when = utcnow()
        try:
            when = datetime.fromisoformat(roundtable_at.strip())
            when = when if when.tzinfo else when.replace(tzinfo=UTC)
        except ValueError:
            errors["roundtable_at"] = "Enter a date and time (UTC)."
        if not count.strip().isdigit():
            errors["count"] = "Enter a whole number."
        if errors:
            raise Invalid("Please correct the marked fields.", fields=errors)
        invited = campaign_roundtables.invite_to_roundtable(
            session,
            campaign=access.campaign,
            community=access.community,
            when=when,
            details=roundtable_details,
            count=int(count),
            invited_by=access.user,
        )
    except AppError as error:
        context = _progress_context(session, access, form={**_outcome_form(access.campaign), **form})
        return form_error(request, session, "campaigns/progress.html", context, error)
    response = redirect(request, _url(access, "/progress"))
    flash.add(response, request, f"{len(invited)} connectors invited to the roundtable.")
    return response


@router.post("/c/{community_slug}/campaigns/{campaign_slug}/outcome", name="campaigns:outcome")
def post_outcome(
    request: Request,
    session: SessionDep,
    outcome: FormText = "",
    outcome_chart: FormText = "",
    access: CampaignAccess = campaign_access(Action.manage_campaign),
) -> Response:
    assert access.user is not None
    try:
        campaign_insights.post_outcome(
            session,
            scope=campaign_insights.campaign_scope(session, campaign=access.campaign),
            community=access.community,
            text=outcome,
            chart=outcome_chart,
            posted_by=access.user,
        )
    except AppError as error:
        form = {"outcome": outcome, "outcome_chart": outcome_chart, "count": "10"}
        context = _progress_context(session, access, form=form)
        return form_error(request, session, "campaigns/progress.html", context, error)
    response = redirect(request, _url(access, "#outcome"))
    flash.add(response, request, "The outcome is posted; every participant can read it.")
    return response


# --- Answering through a share link (friends; no account needed) ------------------------------------------------

DEVICE_COOKIE = "chorus_device"
DEVICE_DAYS = 365
# A field people never see (hidden by CSS and from screen readers); bots that fill every field give themselves away.
HONEYPOT = "website"


def _device_signer() -> Signer:
    return Signer(get_settings().resolved_secret_key, salt="chorus.device")


def _device_token(request: Request) -> str | None:
    """The token of this browser's signed device cookie, if it has one (and it is genuine)."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        return _device_signer().unsign(raw).decode()
    except BadSignature:
        return None


def _keep_device(response: Response, token: str) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        _device_signer().sign(token).decode(),
        max_age=DEVICE_DAYS * 86400,
        httponly=True,
        samesite="lax",
        secure=get_settings().cookie_secure,
    )


def _answer_context(session: Session, share_code: str, **extra: object) -> dict[str, Any]:
    link, campaign, community = share_links.get_link(session, code=share_code)
    current = campaign_lifecycle.phase(campaign, utcnow())
    open_now = current in campaign_lifecycle.ANSWERING_PHASES and campaign.survey_id is not None
    return {
        "link": link,
        "campaign": campaign,
        "community": community,
        "phase": current,
        "phase_labels": campaign_lifecycle.PHASE_LABELS,
        "open_now": open_now,
        "questions": campaign_answering.survey_questions(session, campaign=campaign) if open_now else [],
        "values": {},
        "form": {},
        "honeypot": HONEYPOT,
        **_outcome(campaign),
        **extra,
    }


@router.get("/s/{share_code}", name="campaigns:answer")
def answer_page(request: Request, share_code: str, session: SessionDep, _visitor: Public) -> Response:
    """The survey a connector's link leads to; the first visit from a browser counts as an open."""
    context = _answer_context(session, share_code)
    token = _device_token(request)
    campaign = context["campaign"]
    if token and campaign_answering.find_response(session, campaign=campaign, device_token=token) is not None:
        return RedirectResponse(f"/s/{share_code}/thanks", status_code=303)
    response = render(request, "campaigns/answer.html", context)
    if token is None:
        if context["open_now"]:
            share_links.record_open(session, link=context["link"])
        _keep_device(response, secrets.token_urlsafe(24))
    return response


@router.post("/s/{share_code}")
def answer(request: Request, share_code: str, session: SessionDep, submitted: Answers, visitor: Public) -> Response:
    values = {name: sent for name, sent in submitted.values.items() if name.startswith("q")}
    form = {"email": submitted.single("email"), "consent": submitted.single("consent")}
    link, campaign, _ = share_links.get_link(session, code=share_code)
    token = _device_token(request) or secrets.token_urlsafe(24)
    thanks = RedirectResponse(f"/s/{share_code}/thanks", status_code=303)
    if submitted.single(HONEYPOT).strip():
        # A bot: it is told all went well, and nothing is stored.
        return thanks
    try:
        rate_limits.hit(
            get_settings().campaign_response_rate_per_ip,
            "campaign-answer",
            client_ip(request),
            message="Many answers came from your network just now; please try again later.",
        )
        campaign_answering.answer_campaign(
            session,
            link=link,
            campaign=campaign,
            form=values,
            photos=submitted.photos,
            device_token=token,
            email=form["email"],
            consent=bool(form["consent"]),
            user=visitor,
        )
    except AppError as error:
        context = _answer_context(session, share_code, values=values, form=form)
        failed = form_error(request, session, "campaigns/answer.html", context, error)
        _keep_device(failed, token)
        return failed
    _keep_device(thanks, token)
    return thanks


def _my_response(request: Request, session: Session, campaign: Campaign) -> CampaignResponse | None:
    token = _device_token(request)
    return campaign_answering.find_response(session, campaign=campaign, device_token=token) if token else None


def _thanks_context(request: Request, session: Session, share_code: str) -> dict[str, Any]:
    link, campaign, community = share_links.get_link(session, code=share_code)
    mine = _my_response(request, session, campaign)
    own = share_links.own_link(session, response=mine) if mine else None
    own_url = share_links.share_url(own) if own else ""
    return {
        "link": link,
        "campaign": campaign,
        "community": community,
        "phase": campaign_lifecycle.phase(campaign, utcnow()),
        "phase_labels": campaign_lifecycle.PHASE_LABELS,
        "answered": mine is not None,
        "may_pass_on": mine is not None
        and own is None
        and campaign_lifecycle.phase(campaign, utcnow()) in campaign_lifecycle.PASSING_ON_PHASES,
        "own_url": own_url,
        "qr": share_links.qr_svg(own_url) if own_url else "",
        **_outcome(campaign),
    }


@router.get("/s/{share_code}/thanks", name="campaigns:thanks")
def thanks_page(request: Request, share_code: str, session: SessionDep, _visitor: Public) -> Response:
    return render(request, "campaigns/thanks.html", _thanks_context(request, session, share_code))


@router.post("/s/{share_code}/pass-on", name="campaigns:pass_on")
def pass_on(request: Request, share_code: str, session: SessionDep, _visitor: Public) -> Response:
    """A link of one's own, for someone who answered from this browser: the next hop, still the connector's."""
    _, campaign, _ = share_links.get_link(session, code=share_code)
    mine = _my_response(request, session, campaign)
    if mine is None:
        raise Conflict("Answer the survey first; then you can pass the link on.")
    share_links.friend_link(session, campaign=campaign, response=mine)
    response = redirect(request, f"/s/{share_code}/thanks")
    flash.add(response, request, "Here is your own link: pass it on.")
    return response


@router.post("/s/{share_code}/join", name="campaigns:join")
def join(request: Request, share_code: str, session: SessionDep, user: JoiningUser) -> Response:
    """Join the campaign's community from a share link (the sign-up counts for whoever passed the link on)."""
    link, campaign, community = share_links.get_link(session, code=share_code)
    share_links.join_through_link(session, link=link, campaign=campaign, community=community, user=user)
    response = redirect(request, f"/c/{community.slug}")
    flash.add(response, request, f"Welcome to {community.name}!")
    return response
