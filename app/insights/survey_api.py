"""JSON results of a survey for brand systems: the same figures, segments, cross-tabs and free text as the page."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.columns import PageNumber, RowId
from app.db import SessionDep
from app.errors import Invalid
from app.i18n import _
from app.insights import schemas
from app.insights import survey_results as results_service
from app.insights.deps import SurveyAccess, survey_access
from app.insights.segments import read_segment
from app.permissions import Action

router = APIRouter(tags=["insights"])
PREFIX = "/brands/{brand_slug}/surveys/{survey_id}/insights"
Filters = Annotated[
    list[str],
    Query(description="Conditions, one each: question_id:option[,option] or question_id:low..high (either end open)"),
]


class Comparison(BaseModel):
    a: schemas.SurveyResults
    b: schemas.SurveyResults


def _segment(
    session: SessionDep, access: SurveyAccess, prefix: str, filters: list[str], since: str, until: str
) -> results_service.Segment:
    questions = results_service.questions_by_id(session, survey=access.survey)
    form = read_segment({prefix: filters, f"{prefix}_since": [since], f"{prefix}_until": [until]}, prefix, questions)
    if form.errors:
        raise Invalid(" ".join(form.errors))
    return form.segment


@router.get(PREFIX, summary="A survey's results, for everyone or a segment: every question, NPS, outcome, pay")
def survey_results(
    session: SessionDep,
    a: Filters = [],  # noqa: B006 (FastAPI reads the default, never mutates it)
    a_since: str = Query("", description="YYYY-MM-DD, UTC, inclusive"),
    a_until: str = Query("", description="YYYY-MM-DD, UTC, inclusive"),
    access: SurveyAccess = survey_access(Action.view_insights),
) -> schemas.SurveyResults:
    segment = _segment(session, access, "a", a, a_since, a_until)
    return results_service.survey_results(session, survey=access.survey, segment=segment)


@router.get(PREFIX + "/compare", summary="Two segments of a survey side by side")
def compare_segments(
    session: SessionDep,
    a: Filters = [],  # noqa: B006
    a_since: str = "",
    a_until: str = "",
    b: Filters = [],  # noqa: B006
    b_since: str = "",
    b_until: str = "",
    access: SurveyAccess = survey_access(Action.view_insights),
) -> Comparison:
    first = _segment(session, access, "a", a, a_since, a_until)
    second = _segment(session, access, "b", b, b_since, b_until)
    return Comparison(
        a=results_service.survey_results(session, survey=access.survey, segment=first),
        b=results_service.survey_results(session, survey=access.survey, segment=second),
    )


@router.get(PREFIX + "/crosstab", summary="Respondents per pair of answers to two choice or scale questions")
def crosstab(
    session: SessionDep,
    rows: RowId,
    columns: RowId,
    a: Filters = [],  # noqa: B006
    a_since: str = "",
    a_until: str = "",
    access: SurveyAccess = survey_access(Action.view_insights),
) -> schemas.CrossTab:
    questions = results_service.questions_by_id(session, survey=access.survey)
    if rows not in questions or columns not in questions:
        raise Invalid(_("Choose two questions of this survey."))
    segment = _segment(session, access, "a", a, a_since, a_until)
    return results_service.crosstab(
        session, survey=access.survey, rows=questions[rows], columns=questions[columns], segment=segment
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
    access: SurveyAccess = survey_access(Action.view_insights),
) -> schemas.TextAnswers:
    questions = results_service.questions_by_id(session, survey=access.survey)
    if question not in questions:
        raise Invalid(_("Choose a free-text question of this survey."))
    segment = _segment(session, access, "a", a, a_since, a_until)
    return results_service.text_answers(
        session, survey=access.survey, question=questions[question], search=search, segment=segment, page=page
    )
