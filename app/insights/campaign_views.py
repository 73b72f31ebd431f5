"""HTML results of a sampling campaign for the brand's staff: first the outcome at a glance (respondents, reach,
kits, the recommended action, NPS, responses over time, intent against action, the referral chain), then every
question, then "Explore" (segments by answers, dates, connector and hops, their comparison, a cross-tab) folded
unless the address names one; reach by hop and connectors, free text, the printable report and the CSV exports."""

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.campaigns.deps import CampaignAccess, campaign_access
from app.columns import PageNumber
from app.db import SessionDep
from app.errors import Invalid
from app.i18n import _
from app.insights import campaign_exports, figures
from app.insights import campaign_results as campaign_service
from app.insights import survey_results as results_service
from app.insights.deps import StreamingSessionDep
from app.insights.segments import CampaignSegmentForm, read_campaign_segment
from app.insights.survey_views import crosstab_context, query_params
from app.insights.views import csv_download
from app.permissions import Action
from app.surveys.models import Question
from app.web.templating import render

router = APIRouter(include_in_schema=False)
PATH = "/c/{community_slug}/campaigns/{campaign_slug}/insights"
CONNECTOR_LIMITS = (20, 100, 1000)
MAX_PAGE = 100_000
CHART_CONNECTORS = 20


def _base_url(access: CampaignAccess) -> str:
    return f"/c/{access.community.slug}/campaigns/{access.campaign.slug}/insights"


def _filter(
    session: Session, scope: campaign_service.CampaignScope, form: CampaignSegmentForm
) -> tuple[CampaignSegmentForm, campaign_service.CampaignFilter]:
    """The segment the form names, and the form it was read from: an unknown connector or a hop beyond the
    campaign's becomes a message on the form (which keeps what was typed) and is left out of the segment."""
    used = form
    while True:
        try:
            return used, campaign_service.campaign_filter(session, scope=scope, form=used)
        except Invalid as error:
            form.errors.append(error.message)
            if "hops" in error.fields:
                used = replace(used, hops=tuple(hop for hop in used.hops if hop <= scope.highest_hop))
            else:
                used = replace(used, connector="")


def _sorting(params: dict[str, list[str]]) -> tuple[str, bool, int, int]:
    """Sort, order, connectors per page and page from the query string; anything unknown falls back to the first
    page of the default order."""
    sort = (params.get("sort") or ["responses"])[-1]
    sort = sort if sort in campaign_service.SORTS else "responses"
    descending = (params.get("order") or ["desc"])[-1] != "asc"
    raw = (params.get("connectors") or [""])[-1]
    limit = int(raw) if raw.isdigit() and int(raw) in CONNECTOR_LIMITS else CONNECTOR_LIMITS[0]
    raw_page = (params.get("page") or [""])[-1]
    page = int(raw_page) if raw_page.isdigit() and 1 <= int(raw_page) <= MAX_PAGE else 1
    return sort, descending, limit, page


def _segment_a(
    request: Request, session: Session, access: CampaignAccess
) -> tuple[campaign_service.CampaignScope, list[Question], CampaignSegmentForm, campaign_service.CampaignFilter]:
    """The campaign's scope, its survey's questions, and segment A as the query string names it."""
    scope = campaign_service.campaign_scope(session, campaign=access.campaign)
    questions = results_service.questions_by_id(session, survey=scope.survey) if scope.survey is not None else {}
    form = read_campaign_segment(query_params(request), "a", questions)
    _form, chosen = _filter(session, scope, form)
    return scope, list(questions.values()), form, chosen


NOT_EXPLORING = {"sort", "order", "connectors"}


def _exploring(params: dict[str, list[str]]) -> bool:
    """Whether the address names a segment, a comparison or a cross-tab: then Explore opens by itself, so that a
    shared link shows its exploration."""
    return any(any(value for value in values) for key, values in params.items() if key not in NOT_EXPLORING)


def _page_context(request: Request, session: Session, access: CampaignAccess, *, report: bool) -> dict[str, Any]:
    params = query_params(request)
    scope = campaign_service.campaign_scope(session, campaign=access.campaign)
    survey = scope.survey
    questions = results_service.questions_by_id(session, survey=survey) if survey is not None else {}
    first = read_campaign_segment(params, "a", questions)
    compare = bool(params.get("compare")) and not report
    segments = [first] + ([read_campaign_segment(params, "b", questions)] if compare else [])
    used, chosen = zip(*(_filter(session, scope, form) for form in segments), strict=True)
    limit = CONNECTOR_LIMITS[-1] if report else CONNECTOR_LIMITS[0]
    everyone = campaign_service.campaign_results(session, scope=scope, community=access.community, per_page=limit)
    exploring = _exploring(params)
    results = (
        [
            campaign_service.campaign_results(
                session,
                scope=scope,
                community=access.community,
                chosen=each,
                glance=everyone.headline,
                per_page=limit,
            )
            for each in chosen
        ]
        if exploring
        else [everyone]
    )
    connectors = campaign_service.ConnectorPage(
        rows=results[0].connectors, total=results[0].connector_total, page=1, per_page=limit
    )
    return {
        "community": access.community,
        "campaign": access.campaign,
        "base_url": _base_url(access),
        "results_id": "campaign-insights",
        "extra_filters": "insights/_campaign_filters.html",
        "survey": survey,
        "questions": questions,
        "filterable": [
            q for q in questions.values() if q.kind in results_service.FILTERABLE_KINDS and not q.is_retired
        ],
        "crosstabbable": [q for q in questions.values() if q.kind in results_service.CROSSTAB_KINDS],
        "hop_choices": sorted({hop for hop, _ in scope.reach} | {hop for form in segments for hop in form.hops} | {1}),
        "exploring": exploring,
        "everyone": everyone,
        "glance": everyone.headline,
        "glance_figures": figures.headline_figures(everyone.headline),
        "everyone_figures": figures.survey_figures(everyone.survey) if everyone.survey is not None else None,
        "segments": segments,
        "segment_labels": [form.label(questions) for form in used],
        "token_labels": {form.prefix: form.condition_labels(questions) for form in segments},
        "results": results,
        "survey_figures": [
            figures.survey_figures(result.survey, scope=form.prefix) if result.survey is not None else None
            for result, form in zip(results, segments, strict=False)
        ],
        "campaign_figures": [
            figures.campaign_figures(result, scope=form.prefix) for result, form in zip(results, segments, strict=False)
        ],
        **_connectors_context(access, connectors, sort="responses", descending=True),
        "compare": compare,
        **(crosstab_context(session, survey, questions, params, chosen[0].segment) if survey is not None else {}),
        "report": report,
        "export_query": urlencode(first.params()),
        "not_attributable": campaign_service.NOT_ATTRIBUTABLE,
    }


def _connectors_context(
    access: CampaignAccess, connectors: campaign_service.ConnectorPage, *, sort: str, descending: bool
) -> dict[str, Any]:
    per_page = connectors.per_page or max(connectors.total, 1)
    return {
        "connectors": connectors.rows,
        "connector_count": connectors.total,
        "connector_first": (connectors.page - 1) * per_page + 1,
        "connector_pages": max(1, -(-connectors.total // per_page)),
        "rates": figures.rates_chart(connectors.rows[:CHART_CONNECTORS]),
        "connector_limits": CONNECTOR_LIMITS,
        "sorts": campaign_service.SORTS,
        "sorting": {
            "sort": sort,
            "order": "desc" if descending else "asc",
            "connectors": per_page,
            "page": connectors.page,
        },
        "connectors_url": _base_url(access) + "/connectors",
    }


@router.get(PATH, name="insights:campaign")
def campaign_page(
    request: Request, session: SessionDep, access: CampaignAccess = campaign_access(Action.view_insights)
) -> Response:
    context = _page_context(request, session, access, report=False)
    return render(request, "insights/campaign.html", context, block="results")


@router.get(PATH + "/report", name="insights:campaign_report")
def campaign_report(
    request: Request, session: SessionDep, access: CampaignAccess = campaign_access(Action.view_insights)
) -> Response:
    return render(request, "insights/campaign.html", _page_context(request, session, access, report=True))


@router.get(PATH + "/connectors", name="insights:campaign_connectors")
def connectors_page(
    request: Request,
    session: SessionDep,
    access: CampaignAccess = campaign_access(Action.view_insights),
) -> Response:
    """A page of the connectors' reach and response rates, sorted as asked; htmx swaps just the table and its
    chart."""
    sort, descending, limit, page = _sorting(query_params(request))
    connectors = campaign_service.connector_results(
        session, campaign=access.campaign, sort=sort, descending=descending, page=page, per_page=limit
    )
    context = {
        "community": access.community,
        "campaign": access.campaign,
        "base_url": _base_url(access),
        "report": False,
        **_connectors_context(access, connectors, sort=sort, descending=descending),
    }
    return render(request, "insights/campaign_connectors.html", context, block="connectors")


@router.get(PATH + "/answers", name="insights:campaign_answers")
def campaign_answers(
    request: Request,
    session: SessionDep,
    question: int = 0,
    search: str = "",
    page: PageNumber = 1,
    access: CampaignAccess = campaign_access(Action.view_insights),
) -> Response:
    scope, questions, form, chosen = _segment_a(request, session, access)
    found = next((each for each in questions if each.id == question), None)
    if scope.survey is None or found is None:
        raise Invalid(_("Choose a free-text question."))
    answers = results_service.text_answers(
        session, survey=scope.survey, question=found, search=search[:200], segment=chosen.segment, page=page
    )
    context = {
        "parent_url": f"/c/{access.community.slug}/campaigns/{access.campaign.slug}",
        "parent_name": access.campaign.title,
        "results_title": access.campaign.title,
        "base_url": _base_url(access),
        "answers": answers,
        "segment": form,
        "segment_label": form.label({each.id or 0: each for each in questions}),
        "segment_query": form.query,
    }
    return render(request, "insights/answers.html", context, block="answers")


@router.get(PATH + "/responses.csv", name="insights:campaign_responses_csv")
def responses_csv(
    request: Request,
    session: StreamingSessionDep,
    access: CampaignAccess = campaign_access(Action.view_insights),
) -> Response:
    """Streams from a session that stays open until the last row is sent (the request's own closes earlier)."""
    scope, questions, _form, chosen = _segment_a(request, session, access)
    rows = campaign_exports.response_rows(session, scope=scope, questions=questions, chosen=chosen)
    header = campaign_exports.response_header(scope, questions)
    return csv_download(f"{access.campaign.slug}-responses.csv", header, rows)


@router.get(PATH + "/aggregates.csv", name="insights:campaign_aggregates_csv")
def aggregates_csv(
    request: Request, session: SessionDep, access: CampaignAccess = campaign_access(Action.view_insights)
) -> Response:
    scope, _questions, _form, chosen = _segment_a(request, session, access)
    survey = (
        results_service.survey_results(
            session, survey=scope.survey, segment=chosen.segment, population=scope.population
        )
        if scope.survey is not None
        else None
    )
    rows = list(results_service.aggregate_rows(survey)) if survey is not None else []
    return csv_download(f"{access.campaign.slug}-aggregates.csv", results_service.aggregate_header(), rows)


@router.get(PATH + "/export.csv", name="insights:campaign_csv")
def campaign_csv(
    request: Request,
    session: SessionDep,
    table: str = Query("funnel"),
    access: CampaignAccess = campaign_access(Action.view_insights),
) -> Response:
    scope, _questions, _form, chosen = _segment_a(request, session, access)
    sort, descending, _limit, _page = _sorting(query_params(request))
    results = campaign_service.campaign_results(
        session,
        scope=scope,
        community=access.community,
        chosen=chosen,
        sort=sort,
        descending=descending,
        per_page=None if table == "connectors" else campaign_service.CONNECTORS_PER_PAGE,  # the CSV has every one
    )
    header, rows = campaign_exports.table_rows(results, table=table)
    return csv_download(f"{access.campaign.slug}-{table}.csv", header, rows)
