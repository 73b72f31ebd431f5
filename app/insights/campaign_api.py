"""JSON results of a sampling campaign for brand systems: the same figures, segments, cross-tabs and free text as
the page."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlmodel import Session

from app.campaigns.deps import CampaignAccess, campaign_access
from app.columns import PageNumber, RowId
from app.db import SessionDep
from app.errors import Invalid
from app.i18n import _
from app.insights import campaign_results as campaign_service
from app.insights import schemas
from app.insights import survey_results as results_service
from app.insights.segments import read_campaign_segment
from app.permissions import Action
from app.surveys.models import Question

router = APIRouter(tags=["insights"])
PREFIX = "/communities/{community_slug}/campaigns/{campaign_slug}/insights"
Filters = Annotated[
    list[str],
    Query(description="Conditions, one each: question_id:option[,option] or question_id:low..high (either end open)"),
]
Hops = Annotated[list[int], Query(description="Only responses at these hops (1: through a connector's own link)")]
CONNECTOR_HELP = "Only responses through this connector's links (a handle)"  # i18n: ignore


class Comparison(BaseModel):
    a: schemas.CampaignResults
    b: schemas.CampaignResults


def _filter(
    session: Session,
    scope: campaign_service.CampaignScope,
    prefix: str,
    filters: list[str],
    since: str,
    until: str,
    connector: str,
    hops: list[int],
) -> campaign_service.CampaignFilter:
    questions = results_service.questions_by_id(session, survey=scope.survey) if scope.survey is not None else {}
    params = {
        prefix: filters,
        f"{prefix}_since": [since],
        f"{prefix}_until": [until],
        f"{prefix}_connector": [connector],
        f"{prefix}_hop": [str(hop) for hop in hops],
    }
    form = read_campaign_segment(params, prefix, questions)
    if form.errors:
        raise Invalid(" ".join(form.errors))
    return campaign_service.campaign_filter(session, scope=scope, form=form)


def _sort(sort: str) -> str:
    if sort not in campaign_service.SORTS:
        raise Invalid(_("Sort the connectors by one of: %(sorts)s.", sorts=", ".join(campaign_service.SORTS)))
    return sort


@router.get(
    PREFIX,
    summary="A campaign's results: the whole campaign's outcome at a glance (headline), then for everyone or a "
    "segment the survey's figures, the referral chain, reach by hop and every connector's response rate",
)
def campaign_results(
    session: SessionDep,
    a: Filters = [],  # noqa: B006 (FastAPI reads the default, never mutates it)
    a_since: str = Query("", description="YYYY-MM-DD, UTC, inclusive"),
    a_until: str = Query("", description="YYYY-MM-DD, UTC, inclusive"),
    a_connector: str = Query("", description=CONNECTOR_HELP),
    a_hop: Hops = [],  # noqa: B006
    sort: str = Query("responses", description="Connectors by responses, rate, opens, samples, signups or name"),
    order: str = Query("desc", pattern="^(asc|desc)$"),
    page: Annotated[PageNumber, Query(description="The page of connectors, from 1")] = 1,
    per_page: int = Query(
        campaign_service.CONNECTORS_PER_PAGE,
        ge=1,
        le=campaign_service.MAX_CONNECTORS_PER_PAGE,
        description="Connectors per page (the total is connector_total; the CSV export has every one)",
    ),
    access: CampaignAccess = campaign_access(Action.view_insights),
) -> schemas.CampaignResults:
    scope = campaign_service.campaign_scope(session, campaign=access.campaign)
    chosen = _filter(session, scope, "a", a, a_since, a_until, a_connector, a_hop)
    return campaign_service.campaign_results(
        session,
        scope=scope,
        community=access.community,
        chosen=chosen,
        sort=_sort(sort),
        descending=order == "desc",
        page=page,
        per_page=per_page,
    )


@router.get(PREFIX + "/compare", summary="Two segments of a campaign side by side")
def compare_segments(
    session: SessionDep,
    a: Filters = [],  # noqa: B006
    a_since: str = "",
    a_until: str = "",
    a_connector: str = Query("", description=CONNECTOR_HELP),
    a_hop: Hops = [],  # noqa: B006
    b: Filters = [],  # noqa: B006
    b_since: str = "",
    b_until: str = "",
    b_connector: str = Query("", description=CONNECTOR_HELP),
    b_hop: Hops = [],  # noqa: B006
    access: CampaignAccess = campaign_access(Action.view_insights),
) -> Comparison:
    scope = campaign_service.campaign_scope(session, campaign=access.campaign)
    first = _filter(session, scope, "a", a, a_since, a_until, a_connector, a_hop)
    second = _filter(session, scope, "b", b, b_since, b_until, b_connector, b_hop)
    glance = campaign_service.campaign_headline(session, scope=scope)
    return Comparison(
        a=campaign_service.campaign_results(
            session, scope=scope, community=access.community, chosen=first, glance=glance
        ),
        b=campaign_service.campaign_results(
            session, scope=scope, community=access.community, chosen=second, glance=glance
        ),
    )


def _question(session: Session, scope: campaign_service.CampaignScope, question_id: RowId) -> Question:
    questions = results_service.questions_by_id(session, survey=scope.survey) if scope.survey is not None else {}
    if question_id not in questions:
        raise Invalid(_("Choose questions of this campaign's survey."))
    return questions[question_id]


@router.get(PREFIX + "/crosstab", summary="Respondents per pair of answers to two choice or scale questions")
def crosstab(
    session: SessionDep,
    rows: RowId,
    columns: RowId,
    a: Filters = [],  # noqa: B006
    a_since: str = "",
    a_until: str = "",
    a_connector: str = Query("", description=CONNECTOR_HELP),
    a_hop: Hops = [],  # noqa: B006
    access: CampaignAccess = campaign_access(Action.view_insights),
) -> schemas.CrossTab:
    scope = campaign_service.campaign_scope(session, campaign=access.campaign)
    row_question, column_question = _question(session, scope, rows), _question(session, scope, columns)
    chosen = _filter(session, scope, "a", a, a_since, a_until, a_connector, a_hop)
    assert scope.survey is not None  # _question found the questions in it
    return results_service.crosstab(
        session, survey=scope.survey, rows=row_question, columns=column_question, segment=chosen.segment
    )


@router.get(PREFIX + "/answers", summary="A free-text question's answers (searchable) and its keywords")
def text_answers(
    session: SessionDep,
    question: RowId,
    search: str = Query("", max_length=200),
    page: PageNumber = 1,
    a: Filters = [],  # noqa: B006
    a_since: str = "",
    a_until: str = "",
    a_connector: str = Query("", description=CONNECTOR_HELP),
    a_hop: Hops = [],  # noqa: B006
    access: CampaignAccess = campaign_access(Action.view_insights),
) -> schemas.TextAnswers:
    scope = campaign_service.campaign_scope(session, campaign=access.campaign)
    found = _question(session, scope, question)
    chosen = _filter(session, scope, "a", a, a_since, a_until, a_connector, a_hop)
    assert scope.survey is not None
    return results_service.text_answers(
        session, survey=scope.survey, question=found, search=search, segment=chosen.segment, page=page
    )
