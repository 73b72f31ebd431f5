"""Results of a survey: every question's distribution, the NPS, the outcome summary, segments, cross-tabs, free text
and the export of responses.

The whole survey is read from the tallies ``record_response`` keeps in each response's transaction
(``surveys_responses.tallies``): a dashboard never scans answers, whatever the number of responses. A segment (a
date range and conditions on any answers) cannot use the tallies: it is summed from its responses' own shares of
them (``SurveyResponse.answer_keys``), one short row per response rather than its ten answers, read in one query
(the conditions through the answers' (question, option, number) index) and counted as they stream in.

k-anonymity: a segment of fewer than 5 respondents is suppressed, and so is a segment whose complement in the
survey is that small (the whole survey minus the segment would otherwise show the few left out: differencing).
Within a segment every count, share, bin and cross-tab cell follows the one rule of ``app.insights.suppression``.
"""

import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, intersect, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from app.errors import Invalid
from app.i18n import N_, _
from app.insights import schemas
from app.insights.stats import (
    keywords,
    net_promoter_score,
    number_histogram,
    proportion,
    summarise_counts,
)
from app.insights.suppression import is_suppressed, share_hidden, suppress_partition, suppress_table
from app.surveys import questions as surveys_questions
from app.surveys import responses as surveys_responses
from app.surveys.models import ANSWERED, ANSWERED_KEY_KINDS, Answer, Question, QuestionKind, Survey, SurveyResponse

CHOICE_KINDS = frozenset({QuestionKind.single_choice, QuestionKind.multiple_choice, QuestionKind.yes_no})
SCALE_KINDS = frozenset({QuestionKind.rating, QuestionKind.nps})
NUMERIC_KINDS = frozenset({QuestionKind.rating, QuestionKind.nps, QuestionKind.number})
FILTERABLE_KINDS = CHOICE_KINDS | NUMERIC_KINDS
CROSSTAB_KINDS = CHOICE_KINDS | SCALE_KINDS
KEYWORD_SAMPLE = 2000
SEARCH_PAGE = 20
_RANGE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)?\s*\.\.\s*(-?\d+(?:\.\d+)?)?\s*$")


# --- Segments -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """Respondents whose answer to a question is one of ``values`` (choices) or within ``low``-``high`` (numbers)."""

    question_id: int
    values: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None

    @property
    def token(self) -> str:
        """How the condition travels in a URL: ``12:keep`` or ``15:3..5``."""
        if self.values:
            return f"{self.question_id}:{','.join(self.values)}"
        low = "" if self.low is None else f"{self.low:g}"
        high = "" if self.high is None else f"{self.high:g}"
        return f"{self.question_id}:{low}..{high}"


@dataclass(frozen=True)
class Segment:
    """A group of a survey's respondents: submitted in a date range (UTC days, inclusive) with matching answers."""

    since: date | None = None
    until: date | None = None
    conditions: tuple[Condition, ...] = ()
    extra: tuple[Any, ...] = field(default=(), compare=False)

    @property
    def is_everyone(self) -> bool:
        return self.since is None and self.until is None and not self.conditions and not self.extra


def parse_condition(token: str, questions: Mapping[int, Question]) -> Condition:
    """A condition from its URL form, checked against the survey's questions (Invalid names what is wrong)."""
    head, _sep, rest = token.partition(":")
    if not head.isdigit() or int(head) not in questions:
        raise Invalid(_("The filter “%(filter)s” names no question of this survey.", filter=token))
    question = questions[int(head)]
    if question.kind not in FILTERABLE_KINDS:
        raise Invalid(_("Answers to “%(prompt)s” cannot be filtered on.", prompt=question.prompt))
    if question.kind in CHOICE_KINDS:
        allowed = {key for key, _ in surveys_questions.condition_values(question)}
        values = tuple(value for value in rest.split(",") if value)
        if not values or not set(values) <= allowed:
            raise Invalid(_("Choose answers of “%(prompt)s” to filter on.", prompt=question.prompt))
        return Condition(question_id=int(head), values=values)
    match = _RANGE.match(rest)
    if match is None or (match.group(1) is None and match.group(2) is None):
        raise Invalid(_("Give a range like 3..5 for “%(prompt)s”.", prompt=question.prompt))
    low = float(match.group(1)) if match.group(1) is not None else None
    high = float(match.group(2)) if match.group(2) is not None else None
    if low is not None and high is not None and low > high:
        raise Invalid(_("The range for “%(prompt)s” ends before it starts.", prompt=question.prompt))
    return Condition(question_id=int(head), low=low, high=high)


def _condition_responses(condition: Condition) -> Any:
    """The responses that gave this answer, read from the answers' (question, option, number) index."""
    query = select(col(Answer.response_id)).where(col(Answer.question_id) == condition.question_id)
    if condition.values:
        query = query.where(col(Answer.option_key).in_(condition.values))
    if condition.low is not None:
        query = query.where(col(Answer.number_value) >= condition.low)
    if condition.high is not None:
        query = query.where(col(Answer.number_value) <= condition.high)
    return query


def segment_responses(survey: Survey, segment: Segment, *columns: Any) -> Any:
    """The segment's responses (their ids, or ``columns`` of them), as a query.

    Conditions come first, each an index range of the answers to its question, several intersected (a multiple
    choice may list a response twice: ``IN`` takes it once, and no DISTINCT tempts SQLite into scanning every
    answer in response order); the dates then filter those responses. Without conditions, the responses'
    (survey, submitted_at) index gives the range directly. Responses hidden by moderation are in no segment, as
    they are off the tallies.
    """
    query = select(*(columns or (col(SurveyResponse.id),))).where(
        col(SurveyResponse.survey_id) == survey.id, col(SurveyResponse.hidden_at).is_(None)
    )
    if segment.conditions:
        parts = [_condition_responses(condition) for condition in segment.conditions]
        matching: Any = parts[0]
        if len(parts) > 1:
            matching = intersect(*parts)
        query = query.where(col(SurveyResponse.id).in_(matching))
    if segment.since is not None:
        query = query.where(col(SurveyResponse.submitted_at) >= datetime.combine(segment.since, time(), UTC))
    if segment.until is not None:
        end = datetime.combine(segment.until + timedelta(days=1), time(), UTC)
        query = query.where(col(SurveyResponse.submitted_at) < end)
    for clause in segment.extra:
        query = query.where(clause)
    return query


# --- Results ------------------------------------------------------------------------------------------------


@dataclass
class _Counts:
    """One question's counts, from tallies or answer keys: responses that answered, and per value."""

    answered: int = 0
    total: float = 0.0
    per_value: dict[str, int] = field(default_factory=dict)


def _value_key(option_key: str | None, number: float | None) -> str | None:
    """The tally key of an answer: its option, or its number as the surveys' tallies write it ("4", "7.5")."""
    if option_key is not None:
        return option_key
    if number is None:
        return None
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def _counts_from_tallies(session: Session, survey: Survey) -> dict[int, _Counts]:
    counts: dict[int, _Counts] = {}
    for tally in surveys_responses.tallies(session, survey=survey):
        per_value = {value.key: value.count for value in tally.counts}
        counts[tally.question.id or 0] = _Counts(answered=tally.answered, total=tally.total, per_value=per_value)
    return counts


KEYS_PER_BATCH = 10_000


def segment_keys(survey: Survey, segment: Segment) -> Any:
    """The segment's responses and answer keys, a batch of KEYS_PER_BATCH responses a row: (how many, their keys).

    The database joins each batch's keys into one string, so a few dozen rows reach Python, not one per response
    (whose row objects would cost more than the counting, at a million responses); streamed, two batches at most
    in memory."""
    responses = segment_responses(survey, segment, col(SurveyResponse.id), col(SurveyResponse.answer_keys)).subquery()
    return (
        select(func.count(), func.aggregate_strings(responses.c.answer_keys, " "))
        .group_by(responses.c.id // KEYS_PER_BATCH)
        .execution_options(yield_per=2)
    )


def _counts_from_keys(
    session: Session, survey: Survey, questions: Sequence[Question], segment: Segment
) -> tuple[int, dict[int, _Counts]]:
    """The segment's respondents and each question's counts, summed from the responses' answer keys: a batch of
    responses' keys at a time, so memory stays flat whatever the segment's size."""
    keys: Counter[str] = Counter()
    respondents = 0
    for count, joined in session.execute(segment_keys(survey, segment)):
        respondents += count
        keys.update(joined.split())
    kinds = {question.id or 0: question.kind for question in questions}
    counts: dict[int, _Counts] = defaultdict(_Counts)
    for token, count in keys.items():
        head, _sep, key = token.partition(":")
        question_id = int(head)
        kind = kinds.get(question_id)
        if kind is None:
            continue
        entry = counts[question_id]
        if key == ANSWERED:
            entry.answered = count
            continue
        entry.per_value[key] = count
        if kind in NUMERIC_KINDS:
            entry.total += float(key) * count
        if kind not in ANSWERED_KEY_KINDS:
            entry.answered += count
    return respondents, counts


NPS_GROUPS = ((0, 6), (7, 8), (9, 10))


def _option_cells(question: Question, counts: _Counts, keys: Sequence[str]) -> list[int | None]:
    """Each option's count as the one rule lets it be shown (``app.insights.suppression``): a multiple choice's
    options each stand alone (a share and its complement); the others partition the answers, an NPS's values
    within its three groups (a hidden group hides its values, a shown one is their total)."""
    found = [counts.per_value.get(key, 0) for key in keys]
    if question.kind == QuestionKind.multiple_choice:
        return [None if share_hidden(count, counts.answered) else count for count in found]
    if question.kind != QuestionKind.nps:
        return suppress_partition(found, with_mean=question.kind in SCALE_KINDS)
    groups = [[index for index, key in enumerate(keys) if low <= int(key) <= high] for low, high in NPS_GROUPS]
    shown_groups = suppress_partition([sum(found[index] for index in group) for group in groups])
    cells: list[int | None] = [None] * len(keys)
    for group, total in zip(groups, shown_groups, strict=True):
        if total is not None:
            within = suppress_partition([found[index] for index in group], with_mean=True)
            for index, cell in zip(group, within, strict=True):
                cells[index] = cell
    return cells


def _question_result(question: Question, counts: _Counts) -> schemas.QuestionResult:
    answered = counts.answered
    base = schemas.QuestionResult(
        question_id=question.id or 0,
        code=question.code,
        kind=question.kind,
        prompt=question.prompt,
        answered=answered,
        retired=question.is_retired,
    )
    if is_suppressed(answered):
        return base.model_copy(update={"suppressed": True, "answered": None})
    update: dict[str, Any] = {}
    if question.kind in CHOICE_KINDS or question.kind in SCALE_KINDS:
        values = surveys_questions.condition_values(question)
        cells = _option_cells(question, counts, [key for key, _ in values])
        update["options"] = [
            schemas.OptionResult(
                key=key,
                label=label,
                share=proportion(counts.per_value.get(key, 0), answered, hidden=cell is None),
            )
            for (key, label), cell in zip(values, cells, strict=True)
        ]
        if question.kind in SCALE_KINDS and answered:  # its cells hide three at least (``with_mean``)
            update["mean"] = counts.total / answered
    if question.kind == QuestionKind.number and answered:
        update["mean"] = counts.total / answered
        pairs = [(float(key), n) for key, n in counts.per_value.items()]
        update["summary"] = summarise_counts(pairs)
        update["histogram"] = number_histogram(pairs)
    if question.kind == QuestionKind.nps:
        update["nps"] = net_promoter_score({int(key): n for key, n in counts.per_value.items()})
    return base.model_copy(update=update)


def _questions(session: Session, survey: Survey) -> list[Question]:
    questions = surveys_questions.list_questions(session, survey=survey, include_retired=True)
    return sorted(questions, key=lambda question: (question.is_retired, question.position, question.id or 0))


def segment_hidden(survey: Survey, respondents: int, population: int | None = None) -> bool:
    """k-anonymity for a segment of ``respondents``: too few in it, or too few left out of the survey (differencing:
    the survey minus a segment is a segment too), or out of ``population`` when it is shown beside a smaller whole
    (a campaign's respondents, when its survey has others)."""
    outside = [survey.shown_response_count - respondents]
    if population is not None:
        outside.append(population - respondents)
    return is_suppressed(respondents) or any(is_suppressed(left) for left in outside)


def survey_results(
    session: Session, *, survey: Survey, segment: Segment | None = None, population: int | None = None
) -> schemas.SurveyResults:
    """Every question's distribution, NPS and outcome summary, for everyone (tallies) or a segment (answer keys).

    ``population``: see ``segment_hidden``."""
    segment = segment or Segment()
    questions = _questions(session, survey)
    if segment.is_everyone:
        respondents = survey.shown_response_count
        counts = _counts_from_tallies(session, survey)
    else:
        respondents, counts = _counts_from_keys(session, survey, questions, segment)
        if segment_hidden(survey, respondents, population):
            return schemas.SurveyResults(
                survey_id=survey.id or 0, title=survey.title, respondents=None, suppressed=True, questions=[]
            )
    results = [_question_result(question, counts.get(question.id or 0, _Counts())) for question in questions]
    by_code = {result.code: result for result in results if result.code}
    nps_question = by_code.get("recommend_intent") or next((r for r in results if r.kind == QuestionKind.nps), None)
    return schemas.SurveyResults(
        survey_id=survey.id or 0,
        title=survey.title,
        respondents=respondents,
        suppressed=False,
        questions=results,
        outcome=by_code.get("outcome"),
        pay=by_code["pay"].summary if "pay" in by_code else None,
        nps=nps_question.nps if nps_question is not None else None,
    )


def questions_by_id(session: Session, *, survey: Survey) -> dict[int, Question]:
    return {question.id or 0: question for question in _questions(session, survey)}


# --- Cross-tab ----------------------------------------------------------------------------------------------


def crosstab(
    session: Session, *, survey: Survey, rows: Question, columns: Question, segment: Segment | None = None
) -> schemas.CrossTab:
    """How many respondents gave each pair of answers to two choice (or scale) questions."""
    for question in (rows, columns):
        if question.kind not in CROSSTAB_KINDS or question.survey_id != survey.id:
            raise Invalid(
                _(
                    "“%(prompt)s” cannot be cross-tabulated: choose choice, yes/no or scale questions.",
                    prompt=question.prompt,
                )
            )
    if rows.id == columns.id:
        raise Invalid(_("Choose two different questions."))
    first, second = aliased(Answer), aliased(Answer)
    responses = segment_responses(survey, segment or Segment())
    pair = (col(first.option_key), col(first.number_value), col(second.option_key), col(second.number_value))
    grouped = session.execute(
        select(*pair, func.count())
        .join(second, and_(col(second.response_id) == first.response_id, col(second.question_id) == columns.id))
        .where(col(first.question_id) == rows.id, col(first.response_id).in_(responses))
        .group_by(*pair)
    ).all()
    cells: dict[tuple[str, str], int] = defaultdict(int)
    for row_key, row_number, column_key, column_number, count in grouped:
        key = (_value_key(row_key, row_number) or "", _value_key(column_key, column_number) or "")
        cells[key] += count
    row_values = surveys_questions.condition_values(rows)
    column_values = surveys_questions.condition_values(columns)
    matrix: list[list[int | None]] = [[cells.get((r, c), 0) for c, _ in column_values] for r, _ in row_values]
    suppress_table(matrix)
    return schemas.CrossTab(
        row_question=schemas.QuestionRef(question_id=rows.id or 0, prompt=rows.prompt),
        column_question=schemas.QuestionRef(question_id=columns.id or 0, prompt=columns.prompt),
        row_labels=[label for _, label in row_values],
        column_labels=[label for _, label in column_values],
        cells=matrix,
        suppression=_(schemas.CROSSTAB_SUPPRESSION),
    )


# --- Free text ----------------------------------------------------------------------------------------------


def text_answers(
    session: Session,
    *,
    survey: Survey,
    question: Question,
    search: str = "",
    segment: Segment | None = None,
    page: int = 1,
) -> schemas.TextAnswers:
    """A text question's answers, newest first, those containing ``search`` (any case), with its keywords.

    Search is a LIKE over the question's answers (found by the answers' question index); keywords come from the
    newest KEYWORD_SAMPLE answers of the segment.
    """
    if question.kind != QuestionKind.text or question.survey_id != survey.id:
        raise Invalid(_("Choose a free-text question."))
    responses = segment_responses(survey, segment or Segment())
    base = (
        select(col(Answer.text_value))
        .where(
            col(Answer.question_id) == question.id,
            col(Answer.response_id).in_(responses),
            col(Answer.text_value).is_not(None),
            col(Answer.text_value) != "",
        )
        .order_by(col(Answer.response_id).desc())
    )
    sample = list(session.execute(base.limit(KEYWORD_SAMPLE)).scalars())
    if is_suppressed(len(sample)):
        return schemas.TextAnswers(question_id=question.id or 0, prompt=question.prompt, suppressed=True)
    searched = base.add_columns(col(Answer.response_id))
    term = search.strip()
    if term:
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        searched = searched.where(col(Answer.text_value).ilike(f"%{escaped}%", escape="\\"))
    page = max(page, 1)
    found = session.execute(searched.offset((page - 1) * SEARCH_PAGE).limit(SEARCH_PAGE + 1)).all()
    return schemas.TextAnswers(
        question_id=question.id or 0,
        prompt=question.prompt,
        search=term,
        page=page,
        answers=[text or "" for text, _ in found[:SEARCH_PAGE]],
        response_ids=[response_id for _, response_id in found[:SEARCH_PAGE]],
        more=len(found) > SEARCH_PAGE,
        keywords=[
            schemas.KeywordResult(phrase=k.phrase, answers=k.answers, examples=k.examples)
            for k in keywords([text or "" for text in sample])
        ],
    )


# --- Exports ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JoinedColumns:
    """Columns of other tables put after ``submitted_at`` in each response's row (a campaign's attribution):
    their names, the column expressions, and the (table, on clause) joins that reach them, in order."""

    names: tuple[str, ...]
    columns: tuple[Any, ...]
    joins: tuple[tuple[Any, Any], ...]


def response_header(questions: Sequence[Question], joined: JoinedColumns | None = None) -> list[str]:
    return [
        _("response_id"),
        _("submitted_at"),
        *(joined.names if joined else ()),
        *(question.code or f"q{question.id}" for question in questions),
    ]


def response_rows(
    session: Session,
    *,
    survey: Survey,
    questions: Sequence[Question],
    segment: Segment | None = None,
    population: int | None = None,
    joined: JoinedColumns | None = None,
) -> Iterator[list[Any]]:
    """Every response of the segment as one row (multiple choices joined by "; "), read in batches as it is written.

    No respondent identity: a survey has no consent to share one (a campaign adds consented e-mails through
    ``joined``). ``population``: see ``segment_hidden``.
    """
    segment = segment or Segment()
    if not segment.is_everyone:
        respondents = session.execute(
            select(func.count()).select_from(segment_responses(survey, segment).subquery())
        ).scalar_one()
        if segment_hidden(survey, respondents, population):
            return
    extra = joined.columns if joined else ()
    first = 2 + len(extra)
    position = {question.id: index for index, question in enumerate(questions)}
    statement = select(
        col(SurveyResponse.id),
        col(SurveyResponse.submitted_at),
        *extra,
        col(Answer.question_id),
        col(Answer.option_key),
        col(Answer.number_value),
        col(Answer.text_value),
    ).join(Answer, col(Answer.response_id) == SurveyResponse.id)
    for target, onclause in joined.joins if joined else ():
        statement = statement.join(target, onclause)
    statement = (
        statement.where(col(SurveyResponse.id).in_(segment_responses(survey, segment)))
        .order_by(col(SurveyResponse.id))
        .execution_options(yield_per=5000)
    )
    current: int | None = None
    row: list[Any] = []
    for found in session.execute(statement):
        response_id = found[0]
        question_id, option_key, number, text = found[first:]
        if response_id != current:
            if current is not None:
                yield row
            current = response_id
            row = [response_id, found[1].isoformat(), *found[2:first], *([None] * len(questions))]
        index = position.get(question_id)
        if index is None:
            continue
        value = option_key if option_key is not None else text
        if value is None and number is not None:
            value = _value_key(None, number)
        existing = row[index + first]
        row[index + first] = value if existing is None else f"{existing}; {value}"
    if current is not None:
        yield row


def aggregate_rows(results: schemas.SurveyResults) -> Iterator[list[Any]]:
    """The figures of a results page as CSV rows: one per question and value or bin (a number question's bins with
    their edges as low and high), then its quartiles, mean and NPS; whatever is hidden is left empty."""
    for question in results.questions:
        code = question.code or f"q{question.question_id}"
        if question.suppressed:
            yield [code, question.prompt, "", "", "", "", "", ""]
            continue
        for option in question.options:
            share = option.share
            yield [
                code,
                question.prompt,
                option.label,
                share.count,
                share.total,
                None if share.share is None else round(share.share, 4),
                None if share.low is None else round(share.low, 4),
                None if share.high is None else round(share.high, 4),
            ]
        for bin_ in question.histogram:
            yield [code, question.prompt, bin_.label, bin_.count, question.answered, None, bin_.low, bin_.high]
        summary = question.summary
        if summary is not None and summary.median is not None:
            for name, value in (
                (_("median"), summary.median),
                (_("lower quartile"), summary.low_quartile),
                (_("upper quartile"), summary.high_quartile),
            ):
                yield [code, question.prompt, name, None, question.answered, value, None, None]
        if question.mean is not None:
            yield [code, question.prompt, _("mean"), None, question.answered, round(question.mean, 4), None, None]
        nps = question.nps
        if nps is not None and nps.score is not None:
            nps_name = "NPS"  # i18n: ignore (the measure's name in every language)
            yield [code, question.prompt, nps_name, None, nps.total, round(nps.score, 2), nps.low, nps.high]


AGGREGATE_HEADER = [
    N_("question"), N_("prompt"), N_("value"), N_("count"), N_("answered"), N_("share_or_value"), N_("low"), N_("high"),
]  # fmt: skip


def aggregate_header() -> list[str]:
    """AGGREGATE_HEADER in the reader's language."""
    return [_(name) for name in AGGREGATE_HEADER]
