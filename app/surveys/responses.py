"""Recording a response with its tallies, hiding one (moderation), and the results read from the tallies.

Tallies. ``record_response`` adds each answer to ``AnswerTally`` with one multi-row INSERT ... ON CONFLICT DO
UPDATE (count + 1, sum + value) in the response's transaction, keys sorted so concurrent responses lock rows in
the same order; ``survey.response_count`` moves by a conditional UPDATE that also serialises responses to one
survey on PostgreSQL (SQLite writers hold the database's write lock already). Results read the tallies, never
the raw answers; each response also keeps its own share of the tallies (``SurveyResponse.answer_keys``), from
which a segment's figures are summed.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Integer, Table, bindparam
from sqlalchemy import insert as sa_insert
from sqlalchemy import update as sa_update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from app import rate_limits
from app.accounts.models import User
from app.columns import id_of, utcnow
from app.communities.models import Community
from app.config import get_settings
from app.errors import Conflict, NotFound
from app.i18n import _
from app.rewards import points as rewards_points
from app.rewards.models import PointsAction
from app.surveys.answers import ParsedAnswer, PhotoUpload, format_number, has_file, parse_answers, store_photos
from app.surveys.models import (
    ANSWERED,
    ANSWERED_KEY_KINDS,
    Answer,
    AnswerTally,
    Question,
    QuestionKind,
    Survey,
    SurveyResponse,
)
from app.surveys.questions import NUMERIC_KINDS, condition_values, list_questions


@dataclass(frozen=True)
class _TallyDelta:
    question_id: int
    value_key: str
    count: int
    sum: float


def _tally_deltas(answers: Sequence[ParsedAnswer], photo_questions: Sequence[Question]) -> list[_TallyDelta]:
    """One row per (question, value) the response adds to, plus each answered question's ANSWERED row; sorted."""
    rows: dict[tuple[int, str], list[float]] = {}

    def add(question_id: int, key: str, value: float) -> None:
        count_and_sum = rows.setdefault((question_id, key), [0, 0.0])
        count_and_sum[0] = 1  # a response counts once per value, and once as "answered"
        count_and_sum[1] += value

    for answer in answers:
        question = answer.question
        number = answer.number_value if question.kind in NUMERIC_KINDS else None
        if answer.option_key is not None:
            add(id_of(question), answer.option_key, 0.0)
        elif number is not None:
            add(id_of(question), format_number(number), number)
        add(id_of(question), ANSWERED, number or 0.0)
    for question in photo_questions:
        add(id_of(question), ANSWERED, 0.0)
    return [_TallyDelta(qid, key, int(count), total) for (qid, key), (count, total) in sorted(rows.items())]


def answer_keys(deltas: Sequence[tuple[Question, str]]) -> str:
    """A response's answer keys (see ``SurveyResponse``) from the (question, value key) pairs it adds to the tallies:
    every value, and ANSWERED only for questions of ANSWERED_KEY_KINDS."""
    return " ".join(
        f"{id_of(question)}:{key}" for question, key in deltas if key != ANSWERED or question.kind in ANSWERED_KEY_KINDS
    )


@lru_cache
def _tally_upsert(dialect: str) -> Any:
    tallies = cast(Table, AnswerTally.__table__)  # type: ignore[attr-defined]
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(tallies)
    return statement.on_conflict_do_update(
        index_elements=["question_id", "value_key"],
        set_={
            "count": tallies.c["count"] + statement.excluded["count"],
            "sum": tallies.c["sum"] + statement.excluded["sum"],
        },
    )


# The answers of a response, one executemany: no ORM objects (nothing reads them back in the request).
_INSERT_ANSWERS = sa_insert(cast(Table, Answer.__table__))  # type: ignore[attr-defined]


@lru_cache
def _count_response() -> Any:
    surveys = cast(Table, Survey.__table__)  # type: ignore[attr-defined]
    return (
        sa_update(surveys)
        .where(surveys.c.id == bindparam("survey_id", type_=Integer))
        .values(response_count=surveys.c.response_count + 1)
        .returning(surveys.c.version, surveys.c.response_count)
    )


def record_response(
    session: Session,
    *,
    survey: Survey,
    form: Mapping[str, Sequence[str]],
    photos: Mapping[str, PhotoUpload] | None = None,
    user: User | None = None,
    community_id: int | None = None,
    now: datetime | None = None,
) -> SurveyResponse:
    """Check and store one person's answers, their photos (through the image pipeline) and the tallies, in the
    caller's transaction; ``community_id`` is where it was given (see ``SurveyResponse.community_id``). Raises
    Invalid (errors per input name) and stores nothing when an answer is wrong; Conflict when a logged-in person has
    answered this survey already."""
    now = now or utcnow()
    questions = list_questions(session, survey=survey)
    uploads = {name: upload for name, upload in (photos or {}).items() if has_file(upload)}
    parsed = parse_answers(survey, questions, form, photo_names=uploads.keys())
    if (
        user is not None
        and session.exec(
            select(SurveyResponse.id).where(SurveyResponse.survey_id == survey.id, SurveyResponse.user_id == user.id)
        ).first()
        is not None
    ):
        raise Conflict(_("You have answered this survey already."))

    # One savepoint: a refused photo or a racing second response leaves nothing behind, whatever the caller does.
    with session.begin_nested():
        images = store_photos(session, parsed.photo_questions, uploads, user=user)
        version, count = session.execute(_count_response(), {"survey_id": survey.id}).one()
        deltas = _tally_deltas(parsed.answers, parsed.photo_questions)
        by_id = {id_of(question): question for question in questions}
        response = SurveyResponse(
            survey_id=id_of(survey),
            survey_version=version,
            user_id=user.id if user else None,
            community_id=community_id,
            submitted_at=now,
            answer_keys=answer_keys([(by_id[delta.question_id], delta.value_key) for delta in deltas]),
        )
        session.add(response)
        try:
            session.flush()
        except IntegrityError as error:
            raise Conflict(_("You have answered this survey already.")) from error
        response_id = id_of(response)
        rows = [
            {
                "response_id": response_id,
                "question_id": id_of(answer.question),
                "option_key": answer.option_key,
                "number_value": answer.number_value,
                "text_value": answer.text_value,
                "image_id": None,
            }
            for answer in parsed.answers
        ]
        rows += [
            {
                "response_id": response_id,
                "question_id": question_id,
                "option_key": None,
                "number_value": None,
                "text_value": None,
                "image_id": image_id,
            }
            for question_id, image_id in images.items()
        ]
        if rows:
            session.connection().execute(_INSERT_ANSWERS, rows)
        if deltas:
            session.execute(
                _tally_upsert(session.get_bind().dialect.name),
                [
                    {
                        "survey_id": survey.id,
                        "question_id": delta.question_id,
                        "value_key": delta.value_key,
                        "count": delta.count,
                        "sum": delta.sum,
                    }
                    for delta in deltas
                ],
            )
    # The loaded survey shows the counters the UPDATE left (no SELECT).
    set_committed_value(survey, "response_count", count)
    set_committed_value(survey, "version", version)
    return response


# ------------------------------------------------------------------------------------------------------------
# Hiding a response (moderation)
# ------------------------------------------------------------------------------------------------------------


def get_response(session: Session, *, survey: Survey, response_id: int) -> SurveyResponse:
    """One of the survey's responses (another survey's answers as missing)."""
    response = session.get(SurveyResponse, response_id)
    if response is None or response.survey_id != survey.id:
        raise NotFound(_("There is no such response."))
    return response


def _stored_deltas(session: Session, response_id: int) -> list[_TallyDelta]:
    """What a stored response added to the tallies: its answers read back and counted as ``record_response`` did."""
    rows = session.exec(
        select(Answer, Question)
        .join(Question, col(Question.id) == Answer.question_id)
        .where(Answer.response_id == response_id)
        .order_by(col(Answer.id))
    ).all()
    answers = [
        ParsedAnswer(question, option_key=answer.option_key, number_value=answer.number_value)
        for answer, question in rows
        if answer.image_id is None
    ]
    return _tally_deltas(answers, [question for answer, question in rows if answer.image_id is not None])


def set_response_hidden(session: Session, *, response_id: int, hidden: bool, now: datetime | None = None) -> bool:
    """Hide a response from every result (moderation), or show it again; False when it was so already.

    Its answers come off the tallies (or go back on) and the survey's ``hidden_response_count`` moves, in the
    caller's transaction and exactly once: only the request whose conditional UPDATE flips ``hidden_at`` moves the
    counters, so two moderators deciding at once count once. Rows are locked in the order a new response locks them
    (the survey, then the tallies by key), so hiding and answering never deadlock.
    """
    flipped = col(SurveyResponse.hidden_at).is_(None) if hidden else col(SurveyResponse.hidden_at).is_not(None)
    survey_id = session.execute(
        sa_update(SurveyResponse)
        .where(col(SurveyResponse.id) == response_id, flipped)
        .values(hidden_at=(now or utcnow()) if hidden else None)
        .returning(col(SurveyResponse.survey_id))
    ).scalar_one_or_none()
    if survey_id is None:
        return False
    sign = -1 if hidden else 1
    session.execute(
        sa_update(Survey)
        .where(col(Survey.id) == survey_id)
        .values(hidden_response_count=col(Survey.hidden_response_count) - sign)
    )
    deltas = _stored_deltas(session, response_id)
    if deltas:
        session.execute(
            _tally_upsert(session.get_bind().dialect.name),
            [
                {
                    "survey_id": survey_id,
                    "question_id": delta.question_id,
                    "value_key": delta.value_key,
                    "count": sign * delta.count,
                    "sum": sign * delta.sum,
                }
                for delta in deltas
            ],
        )
    return True


# ------------------------------------------------------------------------------------------------------------
# Results
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueCount:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class QuestionTally:
    """A question's results from its tallies: how many answered, the sum of the values, and a count per value
    (every option and scale point, zeros included, in the question's order; number values ascending)."""

    question: Question
    answered: int
    total: float
    counts: list[ValueCount]


def tallies(session: Session, *, survey: Survey) -> list[QuestionTally]:
    """Every question's results (retired ones last), read from AnswerTally alone: no answer is scanned."""
    rows = session.exec(select(AnswerTally).where(AnswerTally.survey_id == survey.id)).all()
    by_question: dict[int, dict[str, AnswerTally]] = {}
    for row in rows:
        by_question.setdefault(row.question_id, {})[row.value_key] = row
    questions = list_questions(session, survey=survey, include_retired=True)
    questions.sort(key=lambda question: (question.is_retired, question.position, question.id))
    results = []
    for question in questions:
        found = by_question.get(id_of(question), {})
        answered = found.get(ANSWERED)
        results.append(
            QuestionTally(
                question=question,
                answered=answered.count if answered else 0,
                total=answered.sum if answered else 0.0,
                counts=_value_counts(question, found),
            )
        )
    return results


def _value_counts(question: Question, found: Mapping[str, AnswerTally]) -> list[ValueCount]:
    def count(key: str) -> int:
        row = found.get(key)
        return row.count if row else 0

    if question.kind == QuestionKind.number:
        keys = sorted((key for key in found if key != ANSWERED), key=float)
        return [ValueCount(key, f"{key} {question.unit}".strip(), count(key)) for key in keys]
    return [ValueCount(value, label, count(value)) for value, label in condition_values(question)]


def get_response_answers(session: Session, *, response: SurveyResponse) -> list[tuple[Question, list[Answer]]]:
    """One response's answers with their questions, retired ones included (old responses stay readable)."""
    answers = session.exec(select(Answer).where(Answer.response_id == response.id).order_by(col(Answer.id))).all()
    question_ids = {answer.question_id for answer in answers}
    questions = session.exec(select(Question).where(col(Question.id).in_(question_ids))).all()
    grouped: dict[int, list[Answer]] = {}
    for answer in answers:
        grouped.setdefault(answer.question_id, []).append(answer)
    ordered = sorted(questions, key=lambda question: (question.position, question.id))
    return [(question, grouped[id_of(question)]) for question in ordered]


def has_answered(session: Session, *, survey: Survey, user: User | None) -> bool:
    if user is None:
        return False
    found = session.exec(
        select(SurveyResponse.id).where(SurveyResponse.survey_id == survey.id, SurveyResponse.user_id == user.id)
    ).first()
    return found is not None


def answer_community_survey(
    session: Session,
    *,
    survey: Survey,
    community: Community,
    member: User,
    form: Mapping[str, Sequence[str]],
    photos: Mapping[str, PhotoUpload] | None = None,
    now: datetime | None = None,
) -> SurveyResponse:
    """A member answers a survey published to their community: once (the response is theirs), within the rate
    limit; the membership itself is checked by the caller's permission."""
    if survey.community_id != community.id:
        raise NotFound(_("There is no such survey."))
    rate_limits.hit(
        get_settings().survey_rate_per_account,
        "survey",
        str(member.id),
        message=_("You have sent a lot of answers in a short time; wait a while before the next."),
    )
    response = record_response(
        session, survey=survey, form=form, photos=photos, user=member, community_id=id_of(community), now=now
    )
    rewards_points.award_points(
        session,
        user_id=id_of(member),
        brand_id=community.brand_id,
        action=PointsAction.survey_answered,
        source_key=f"survey:{id_of(survey)}",
        now=now,
    )
    return response
