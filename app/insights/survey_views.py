"""HTML results of a survey for brand staff: figures, segments and their comparison, a cross-tab, free text,
the printable report and the CSV exports."""

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.columns import PageNumber
from app.db import SessionDep
from app.i18n import _
from app.insights import figures
from app.insights import survey_results as results_service
from app.insights.deps import StreamingSessionDep, SurveyAccess, survey_access
from app.insights.segments import SegmentForm, read_segment
from app.insights.views import csv_download
from app.permissions import Action
from app.surveys.models import Question, Survey
from app.web.templating import render

router = APIRouter(include_in_schema=False)


def query_params(request: Request) -> dict[str, list[str]]:
    """The query string as each name's values, the shape ``read_segment`` reads."""
    params: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        params.setdefault(name, []).append(value)
    return params


def crosstab_context(
    session: Session,
    survey: Survey,
    questions: dict[int, Question],
    params: dict[str, list[str]],
    segment: results_service.Segment,
) -> dict[str, Any]:
    """The cross-tab the query asks for (``rows`` and ``columns``: question ids) over the segment, or why not."""
    crosstab = None
    crosstab_error = ""
    rows, columns = (params.get("rows") or [""])[-1], (params.get("columns") or [""])[-1]
    if rows.isdigit() and columns.isdigit() and int(rows) in questions and int(columns) in questions:
        try:
            crosstab = results_service.crosstab(
                session, survey=survey, rows=questions[int(rows)], columns=questions[int(columns)], segment=segment
            )
        except results_service.Invalid as error:
            crosstab_error = error.message
    return {"crosstab": crosstab, "crosstab_error": crosstab_error, "selected_rows": rows, "selected_columns": columns}


def _base_url(access: SurveyAccess) -> str:
    return f"/brands/{access.brand.slug}/surveys/{access.survey.id}/insights"


def _page_context(request: Request, session: SessionDep, access: SurveyAccess, *, report: bool) -> dict[str, Any]:
    params = query_params(request)
    questions = results_service.questions_by_id(session, survey=access.survey)
    first = read_segment(params, "a", questions)
    compare = bool(params.get("compare")) and not report
    second: SegmentForm | None = read_segment(params, "b", questions) if compare else None
    segments = [first] + ([second] if second is not None else [])
    results = [results_service.survey_results(session, survey=access.survey, segment=form.segment) for form in segments]
    return {
        "brand": access.brand,
        "survey": access.survey,
        "base_url": _base_url(access),
        "results_id": "survey-insights",
        "questions": questions,
        "filterable": [
            q for q in questions.values() if q.kind in results_service.FILTERABLE_KINDS and not q.is_retired
        ],
        "crosstabbable": [q for q in questions.values() if q.kind in results_service.CROSSTAB_KINDS],
        "segments": segments,
        "segment_labels": [form.label(questions) for form in segments],
        "token_labels": {form.prefix: form.condition_labels(questions) for form in segments},
        "results": results,
        "figures": [
            figures.survey_figures(result, scope=form.prefix) for result, form in zip(results, segments, strict=True)
        ],
        "compare": compare,
        **crosstab_context(session, access.survey, questions, params, first.segment),
        "report": report,
        # Exports and the JSON of what is shown: segment A (the one a cross-tab and exports use), read back.
        "export_query": urlencode(first.params()),
    }


@router.get("/brands/{brand_slug}/surveys/{survey_id}/insights", name="insights:survey")
def survey_page(
    request: Request, session: SessionDep, access: SurveyAccess = survey_access(Action.view_insights)
) -> Response:
    context = _page_context(request, session, access, report=False)
    return render(request, "insights/survey.html", context, block="results")


@router.get("/brands/{brand_slug}/surveys/{survey_id}/insights/report", name="insights:survey_report")
def survey_report(
    request: Request, session: SessionDep, access: SurveyAccess = survey_access(Action.view_insights)
) -> Response:
    return render(request, "insights/survey.html", _page_context(request, session, access, report=True))


@router.get("/brands/{brand_slug}/surveys/{survey_id}/insights/answers", name="insights:survey_answers")
def survey_answers(
    request: Request,
    session: SessionDep,
    question: int = 0,
    search: str = "",
    page: PageNumber = 1,
    access: SurveyAccess = survey_access(Action.view_insights),
) -> Response:
    questions = results_service.questions_by_id(session, survey=access.survey)
    segment = read_segment(query_params(request), "a", questions)
    found = questions.get(question)
    if found is None:
        raise results_service.Invalid(_("Choose a free-text question."))
    answers = results_service.text_answers(
        session, survey=access.survey, question=found, search=search[:200], segment=segment.segment, page=page
    )
    context = {
        "parent_url": f"/brands/{access.brand.slug}",
        "parent_name": access.brand.name,
        "results_title": access.survey.title,
        "base_url": _base_url(access),
        "answers": answers,
        "segment": segment,
        "segment_label": segment.label(questions),
        "segment_query": segment.query,
    }
    return render(request, "insights/answers.html", context, block="answers")


@router.get("/brands/{brand_slug}/surveys/{survey_id}/insights/responses.csv", name="insights:survey_responses_csv")
def responses_csv(
    request: Request,
    session: StreamingSessionDep,
    access: SurveyAccess = survey_access(Action.view_insights),
) -> Response:
    """Streams from a session that stays open until the last row is sent (the request's own closes earlier)."""
    questions = list(results_service.questions_by_id(session, survey=access.survey).values())
    segment = read_segment(query_params(request), "a", {question.id or 0: question for question in questions})
    rows = results_service.response_rows(session, survey=access.survey, questions=questions, segment=segment.segment)
    return csv_download(f"survey-{access.survey.id}-responses.csv", results_service.response_header(questions), rows)


@router.get("/brands/{brand_slug}/surveys/{survey_id}/insights/aggregates.csv", name="insights:survey_aggregates_csv")
def aggregates_csv(
    request: Request, session: SessionDep, access: SurveyAccess = survey_access(Action.view_insights)
) -> Response:
    questions = results_service.questions_by_id(session, survey=access.survey)
    segment = read_segment(query_params(request), "a", questions)
    found = results_service.survey_results(session, survey=access.survey, segment=segment.segment)
    rows = list(results_service.aggregate_rows(found))
    return csv_download(f"survey-{access.survey.id}-aggregates.csv", results_service.aggregate_header(), rows)
