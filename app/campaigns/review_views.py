"""HTML pages for a sampling campaign's staff: the review table with selection and fulfilment, then progress, the
roundtable and the outcome."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import Response
from sqlmodel import Session

from app.campaigns import applications as campaign_applications
from app.campaigns import connectors as campaign_connectors
from app.campaigns import decisions as campaign_decisions
from app.campaigns import households as campaign_households
from app.campaigns import kits as campaign_kits
from app.campaigns import lifecycle as campaign_lifecycle
from app.campaigns import roundtables as campaign_roundtables
from app.campaigns.deps import CampaignAccess, campaign_access
from app.campaigns.models import Campaign
from app.campaigns.views import FormText, campaign_page_url, page_context
from app.columns import utcnow
from app.db import SessionDep
from app.errors import AppError, Invalid
from app.i18n import _, ngettext
from app.insights import campaign_outcome
from app.insights import campaign_results as campaign_insights
from app.permissions import Action
from app.web import flash
from app.web.forms import form_error
from app.web.requests import redirect
from app.web.templating import render

router = APIRouter(include_in_schema=False)


# --- Review, selection and fulfilment (managers) -------------------------------------------------------------------


def _review_context(
    session: Session, access: CampaignAccess, *, status: str, eligible: str, sort: str, search: str, **extra: object
) -> dict[str, Any]:
    rows = campaign_applications.list_applications(
        session, campaign=access.campaign, status=status, eligible=eligible, sort=sort, search=search
    )
    return page_context(
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
    response = redirect(request, campaign_page_url(access, "/applications"))
    _flash_decisions(response, request, result)
    return response


def _flash_decisions(response: Response, request: Request, result: campaign_decisions.DecisionResult) -> None:
    changed = len(result.changed)
    flash.add(response, request, ngettext("%(num)s application updated.", "%(num)s applications updated.", changed))
    if result.refused:
        reasons = sorted(set(result.refused.values()))
        refused = ngettext(
            "%(num)s not changed: %(reasons)s",
            "%(num)s not changed: %(reasons)s",
            len(result.refused),
            reasons=" ".join(reasons),
        )
        flash.add(response, request, refused, "error")


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
            raise Invalid(
                _("Please correct the marked fields."), fields={"min_network_size": _("Enter a whole number.")}
            )
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
    response = redirect(request, campaign_page_url(access, "/applications"))
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
            raise Invalid(_("Choose the CSV file to import."), fields={"file": _("Choose a CSV file.")})
        result = campaign_kits.import_tracking(
            session, campaign=access.campaign, community=access.community, content=file.file.read()
        )
    except AppError as error:
        context = _review_context(
            session, access, status="", eligible="", sort="", search="", import_errors=error.fields
        )
        return form_error(request, session, "campaigns/applications.html", context, error)
    response = redirect(request, campaign_page_url(access, "/applications"))
    flash.add(
        response,
        request,
        _(
            "Imported: %(shipped)s kits shipped, %(corrected)s corrected, %(unchanged)s unchanged.",
            shipped=result.shipped,
            corrected=result.corrected,
            unchanged=result.unchanged,
        ),
    )
    return response


# --- Progress, roundtable and outcome (staff) ------------------------------------------------------------------------


def _progress_context(session: Session, access: CampaignAccess, **extra: object) -> dict[str, Any]:
    progress = campaign_connectors.campaign_progress(session, campaign=access.campaign)
    scope = campaign_insights.campaign_scope(session, campaign=access.campaign)
    return page_context(
        access,
        campaign=access.campaign,
        phase=campaign_lifecycle.phase(access.campaign, utcnow()),
        progress=progress,
        invitations=campaign_roundtables.list_invitations(session, campaign=access.campaign),
        chart_choices=campaign_outcome.outcome_chart_choices(session, scope=scope),
        **extra,
    )


def _outcome_form(campaign: Campaign) -> dict[str, str]:
    return {"outcome": campaign.outcome, "outcome_chart": campaign_outcome.chosen_chart(campaign), "count": "10"}


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
            errors["roundtable_at"] = _("Enter a date and time (UTC).")
        if not count.strip().isdigit():
            errors["count"] = _("Enter a whole number.")
        if errors:
            raise Invalid(_("Please correct the marked fields."), fields=errors)
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
    response = redirect(request, campaign_page_url(access, "/progress"))
    flash.add(
        response,
        request,
        ngettext(
            "%(num)s connector invited to the roundtable.",
            "%(num)s connectors invited to the roundtable.",
            len(invited),
        ),
    )
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
        campaign_outcome.post_outcome(
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
    response = redirect(request, campaign_page_url(access, "#outcome"))
    flash.add(response, request, _("The outcome is posted; every participant can read it."))
    return response
