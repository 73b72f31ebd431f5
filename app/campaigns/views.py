"""HTML pages for sampling campaigns: the list and campaign page and the managers' form.

The other pages live beside this module, by use case: ``taking_part_views`` (applying and the connector's own page),
``review_views`` (the review table with fulfilment, and progress) and ``answer_views`` (answering through a share
link). They build their pages on this module's ``page_context``."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.campaigns import applications as campaign_applications
from app.campaigns import lifecycle as campaign_lifecycle
from app.campaigns.deps import CampaignAccess, campaign_access
from app.campaigns.models import Campaign
from app.columns import utcnow
from app.communities.deps import CommunityAccess, community_access
from app.db import SessionDep
from app.errors import AppError
from app.i18n import _
from app.insights import campaign_outcome
from app.insights import figures as insight_figures
from app.permissions import Action
from app.web import flash
from app.web.forms import form_error
from app.web.requests import redirect
from app.web.templating import render

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]
TEXT_FIELDS = ("title", "slug", "product_name", "brief", "kit_contents", "eligibility")
NUMBER_FIELDS = ("kit_count", "samples_per_kit", "target_network_size")


def _form_context(session: Session, access: CommunityAccess, **extra: object) -> dict[str, Any]:
    surveys = campaign_lifecycle.brand_surveys(session, community=access.community)
    return page_context(access, surveys=surveys, **extra)


def page_context(access: CommunityAccess, **extra: object) -> dict[str, Any]:
    return {
        "community": access.community,
        "access": access,
        "Action": Action,
        "phase_labels": campaign_lifecycle.PHASE_LABELS,
        **extra,
    }


def campaign_page_url(access: CampaignAccess, tail: str = "") -> str:
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
    return render(request, "campaigns/list.html", page_context(access, rows=rows))


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
            errors[name] = _("Enter a date and time (UTC).")
            moments[name] = utcnow()
    numbers: dict[str, int] = {}
    for name in NUMBER_FIELDS:
        value = form[name].strip()
        if not value.isdigit():
            errors[name] = _("Use a whole number.")
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
    flash.add(response, request, _("The campaign is saved as a draft. Publish it when it is ready."))
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
    response = redirect(request, campaign_page_url(access))
    flash.add(response, request, _("The campaign is saved."))
    return response


@router.post("/c/{community_slug}/campaigns/{campaign_slug}/publish", name="campaigns:publish")
def publish(
    request: Request, session: SessionDep, access: CampaignAccess = campaign_access(Action.manage_campaign)
) -> Response:
    campaign_lifecycle.publish_campaign(session, campaign=access.campaign)
    response = redirect(request, campaign_page_url(access))
    flash.add(response, request, _("%(title)s is published.", title=access.campaign.title))
    return response


# --- The campaign page ------------------------------------------------------------------------------------------


def outcome_context(campaign: Campaign) -> dict[str, Any]:
    """The chart posted with the outcome (its snapshot and its drawing), for the pages that show the outcome."""
    posted = campaign_outcome.posted_chart(campaign)
    return {"posted_chart": posted, "outcome_chart": insight_figures.outcome_figure(posted) if posted else None}


@router.get("/c/{community_slug}/campaigns/{campaign_slug}", name="campaigns:detail")
def detail(
    request: Request, session: SessionDep, access: CampaignAccess = campaign_access(Action.view_campaign)
) -> Response:
    application = campaign_applications.get_application(session, campaign=access.campaign, user=access.user)
    context = page_context(
        access,
        campaign=access.campaign,
        phase=campaign_lifecycle.phase(access.campaign, utcnow()),
        application=application,
        **outcome_context(access.campaign),
    )
    return render(request, "campaigns/detail.html", context)
