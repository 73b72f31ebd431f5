"""Surveys: building them (with the rules that keep answered questions intact), answering them, and their tallies.

Editing rules. Before the first response anything goes. Once a survey has responses, an edit may only add or
reword: new questions, new options, new labels and prompts, making a question optional, wider number bounds,
retiring a question (it stays, retired, so older answers keep it) and reordering. Anything that would change the
meaning of answers already given (the kind, an option's key, removing options, making a question required,
narrower bounds, the condition, the code) is refused with Invalid. Each accepted edit after responses adds 1 to
``survey.version``; each response records the version it answered, and ``questions_at_version`` gives the
questions of a version.

Conditional display. A question may be shown only when the answer to an earlier question is one of some values
(option keys, "yes"/"no", or rating and NPS values). A question is visible when its condition's question is
visible and answered with one of the values, so conditions chain. Without JavaScript every question shows on the
page; the server drops answers to questions whose condition is not met and checks ``required`` only for visible
ones.

Tallies. ``record_response`` adds each answer to ``AnswerTally`` with one multi-row INSERT ... ON CONFLICT DO
UPDATE (count + 1, sum + value) in the response's transaction, keys sorted so concurrent responses lock rows in
the same order; ``survey.response_count`` moves by a conditional UPDATE that also serialises responses to one
survey on PostgreSQL (SQLite writers hold the database's write lock already). Results read the tallies, never
the raw answers; each response also keeps its own share of the tallies (``SurveyResponse.answer_keys``), from
which a segment's figures are summed.
"""

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, BinaryIO, Protocol, cast

from sqlalchemy import Integer, Table, bindparam
from sqlalchemy import update as sa_update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from app import rate_limits
from app.accounts.models import User
from app.brands.models import Brand
from app.columns import id_of, utcnow
from app.communities.models import Community
from app.config import get_settings
from app.errors import Conflict, Invalid, NotFound
from app.media import service as media_service
from app.rewards import points as rewards_points
from app.rewards.models import PointsAction
from app.slugs import slugify
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

RATING_VALUES = range(1, 6)
NPS_VALUES = range(0, 11)
YES_NO_OPTIONS = ({"key": "yes", "label": "Yes"}, {"key": "no", "label": "No"})
CHOICE_KINDS = frozenset({QuestionKind.single_choice, QuestionKind.multiple_choice})
NUMERIC_KINDS = frozenset({QuestionKind.rating, QuestionKind.nps, QuestionKind.number})
MAX_TEXT = 2000
MAX_NUMBER = 1e12
MAX_OPTIONS = 30
MAX_QUESTIONS = 60
FIX_FIELDS = "Please correct the marked answers."


class PhotoUpload(Protocol):
    """What a photo answer needs of an uploaded file (Starlette's UploadFile has it)."""

    @property
    def filename(self) -> str | None: ...

    @property
    def content_type(self) -> str | None: ...

    @property
    def file(self) -> BinaryIO: ...


# ------------------------------------------------------------------------------------------------------------
# Surveys
# ------------------------------------------------------------------------------------------------------------


def _validate_survey_text(title: str, description: str) -> dict[str, str]:
    errors = {}
    if not title.strip() or len(title.strip()) > 200:
        errors["title"] = "Give the survey a title (up to 200 characters)."
    if len(description) > 5000:
        errors["description"] = "Use at most 5,000 characters."
    return errors


def create_survey(
    session: Session, *, brand: Brand, title: str, author: User | None, description: str = "", template: bool = False
) -> Survey:
    """A new survey of a brand; ``template`` adds the standard product questions (with their codes)."""
    errors = _validate_survey_text(title, description)
    if errors:
        raise Invalid("Please correct the marked fields.", fields=errors)
    survey = Survey(
        brand_id=id_of(brand),
        title=title.strip(),
        description=description.strip(),
        created_by_id=author.id if author is not None else None,
    )
    session.add(survey)
    session.flush()
    if template:
        _add_template_questions(session, survey)
    return survey


def update_survey(session: Session, *, survey: Survey, title: str, description: str = "") -> Survey:
    """Change a survey's title and description (rewording: allowed after responses, and a new version)."""
    errors = _validate_survey_text(title, description)
    if errors:
        raise Invalid("Please correct the marked fields.", fields=errors)
    _lock_survey(session, survey)
    if (survey.title, survey.description) == (title.strip(), description.strip()):
        return survey
    survey.title = title.strip()
    survey.description = description.strip()
    _touch(session, survey)
    return survey


def delete_survey(session: Session, *, survey: Survey) -> None:
    """Delete a survey that nobody has answered yet (answers are never thrown away)."""
    _lock_survey(session, survey)
    if survey.response_count:
        raise Conflict("This survey has responses, so it cannot be deleted.")
    session.delete(survey)
    session.flush()


def get_survey(session: Session, *, survey_id: int) -> Survey:
    """A survey by id (for other domains: a campaign knows its survey's id); NotFound otherwise."""
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise NotFound("There is no such survey.")
    return survey


def list_surveys(session: Session, *, brand: Brand) -> Sequence[Survey]:
    """A brand's surveys, the newest first."""
    return session.exec(
        select(Survey).where(Survey.brand_id == brand.id).order_by(col(Survey.created_at).desc(), col(Survey.id).desc())
    ).all()


def has_responses(survey: Survey) -> bool:
    return survey.response_count > 0


def _lock_survey(session: Session, survey: Survey) -> None:
    """Lock the survey's row (PostgreSQL) and read its current counters, so an edit and a response never cross."""
    session.exec(select(Survey.id).where(Survey.id == survey.id).with_for_update()).one()
    session.refresh(survey, attribute_names=["version", "response_count"])


def _touch(session: Session, survey: Survey) -> None:
    """After an accepted edit: a new version once the survey has responses (the caller has locked it)."""
    if has_responses(survey):
        survey.version += 1
    survey.updated_at = utcnow()
    session.add(survey)
    session.flush()


# ------------------------------------------------------------------------------------------------------------
# Questions
# ------------------------------------------------------------------------------------------------------------


def list_questions(session: Session, *, survey: Survey, include_retired: bool = False) -> list[Question]:
    """A survey's questions in order; retired ones only when asked (results and old responses need them)."""
    query = select(Question).where(Question.survey_id == survey.id)
    if not include_retired:
        query = query.where(col(Question.retired_at).is_(None))
    return list(session.exec(query.order_by(col(Question.position), col(Question.id))).all())


def questions_at_version(questions: Sequence[Question], version: int) -> list[Question]:
    """The questions a response of that version was asked (added by then, not yet retired)."""
    return [
        question
        for question in questions
        if question.added_in_version <= version
        and (question.retired_in_version is None or question.retired_in_version > version)
    ]


def get_question(session: Session, *, survey: Survey, question_id: int) -> Question:
    question = session.get(Question, question_id)
    if question is None or question.survey_id != survey.id:
        raise NotFound("There is no such question.")
    return question


@dataclass
class QuestionFields:
    """What a manager says about a question; checked together so the form shows every problem at once.

    ``options`` are labels with optional keys: [{"label": "Keep it"}, {"key": "keep", "label": "Keep it"}]; an
    option without a key gets one made from its label (and keeps it for good). ``show_if_values`` are option keys,
    "yes"/"no", or rating and NPS values, of the question ``show_if_question_id``.
    """

    kind: QuestionKind | str
    prompt: str
    help_text: str = ""
    required: bool = False
    options: list[dict[str, str]] = field(default_factory=list)
    number_min: float | None = None
    number_max: float | None = None
    unit: str = ""
    show_if_question_id: int | None = None
    show_if_values: list[str] = field(default_factory=list)
    code: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


def _normalised_options(
    raw: Sequence[Mapping[str, str]], existing: Sequence[Mapping[str, str]], errors: dict[str, str]
) -> list[dict[str, str]]:
    """Labels trimmed, blank rows dropped, keys kept where given and made from labels where not, all unique."""
    options: list[dict[str, str]] = []
    taken = {option["key"] for option in existing}
    used: set[str] = set()
    for row in raw:
        label = str(row.get("label", "")).strip()
        key = str(row.get("key", "") or "").strip()
        if not label and not key:
            continue
        if not label:
            errors["options"] = "Give every option a label."
            continue
        if len(label) > 200:
            errors["options"] = "Keep each option under 200 characters."
            continue
        if key:
            if key in used or slugify(key, max_length=40).replace("-", "_") != key:
                errors["options"] = f"The option key “{key}” is not valid or is used twice."
                continue
        else:
            base = slugify(label, max_length=36).replace("-", "_") or "option"
            key, number = base, 2
            while key in used or (key in taken and not any(o["key"] == key and o["label"] == label for o in existing)):
                key, number = f"{base}_{number}", number + 1
        used.add(key)
        options.append({"key": key, "label": label})
    if len(options) > MAX_OPTIONS:
        errors["options"] = f"Use at most {MAX_OPTIONS} options."
    return options


def _validate_question(
    session: Session, survey: Survey, fields: QuestionFields, *, question: Question | None
) -> tuple[QuestionKind | None, list[dict[str, str]], dict[str, str]]:
    errors = dict(fields.errors)
    kind = QuestionKind(fields.kind) if fields.kind in QuestionKind.__members__ else None
    if kind is None:
        errors["kind"] = "Choose a kind of question."
    if not fields.prompt.strip() or len(fields.prompt.strip()) > 500:
        errors["prompt"] = "Ask the question (up to 500 characters)."
    if len(fields.help_text) > 1000:
        errors["help_text"] = "Use at most 1,000 characters."
    if len(fields.unit) > 20:
        errors["unit"] = "Use at most 20 characters."
    options: list[dict[str, str]] = []
    if kind in CHOICE_KINDS:
        # Once answered, a new option never takes an old key (an answer would change meaning); before, keys are free.
        answered = question.options if question is not None and has_responses(survey) else []
        options = _normalised_options(fields.options, answered, errors)
        if len(options) < 2 and "options" not in errors:
            errors["options"] = "Give at least two options."
    elif kind == QuestionKind.yes_no:
        options = [dict(option) for option in YES_NO_OPTIONS]
    if kind == QuestionKind.number:
        for name in ("number_min", "number_max"):
            value = getattr(fields, name)
            if value is not None and not math.isfinite(value):
                errors[name] = "Use a number."
        low, high = fields.number_min, fields.number_max
        if low is not None and high is not None and low > high and "number_max" not in errors:
            errors["number_max"] = "The largest value must not be below the smallest."
    if fields.code is not None and fields.code != "":
        code = fields.code.strip()
        if slugify(code, max_length=40).replace("-", "_") != code:
            errors["code"] = "Use lower-case letters, digits and underscores."
        else:
            clash = session.exec(
                select(Question.id).where(Question.survey_id == survey.id, Question.code == code)
            ).first()
            if clash is not None and (question is None or clash != question.id):
                errors["code"] = "Another question of this survey has this code."
    if fields.show_if_question_id is not None:
        errors.update(_condition_errors(session, survey, fields, question=question))
    return kind, options, errors


def _condition_errors(
    session: Session, survey: Survey, fields: QuestionFields, *, question: Question | None
) -> dict[str, str]:
    controller = session.get(Question, fields.show_if_question_id)
    if controller is None or controller.survey_id != survey.id or controller.is_retired:
        return {"show_if_question_id": "Choose a question of this survey."}
    if question is not None and (controller.id == question.id or controller.position >= question.position):
        return {"show_if_question_id": "A question can only depend on a question before it."}
    allowed = {value for value, _ in condition_values(controller)}
    if not allowed:
        return {"show_if_question_id": "Only choice, yes/no, rating and NPS questions can control another."}
    if not fields.show_if_values:
        return {"show_if_values": "Choose the answers that show this question."}
    unknown = [value for value in fields.show_if_values if value not in allowed]
    if unknown:
        return {"show_if_values": f"“{unknown[0]}” is not an answer to that question."}
    return {}


def condition_values(question: Question) -> list[tuple[str, str]]:
    """The answers of a question another question may depend on, as (value, label) pairs; none for other kinds."""
    return _answer_values(question.kind, question.options)


def _answer_values(kind: QuestionKind, options: Sequence[Mapping[str, str]]) -> list[tuple[str, str]]:
    if kind in CHOICE_KINDS or kind == QuestionKind.yes_no:
        return [(option["key"], option["label"]) for option in options]
    if kind == QuestionKind.rating:
        return [(str(value), str(value)) for value in RATING_VALUES]
    if kind == QuestionKind.nps:
        return [(str(value), str(value)) for value in NPS_VALUES]
    return []


def add_question(session: Session, *, survey: Survey, fields: QuestionFields) -> Question:
    """Add a question at the end of a survey (always allowed; after responses it makes a new version)."""
    _lock_survey(session, survey)
    kind, options, errors = _validate_question(session, survey, fields, question=None)
    count = len(list_questions(session, survey=survey))
    if count >= MAX_QUESTIONS:
        errors["prompt"] = f"A survey has at most {MAX_QUESTIONS} questions."
    if errors:
        raise Invalid("Please correct the marked fields.", fields=errors)
    assert kind is not None
    last = session.exec(
        select(Question.position).where(Question.survey_id == survey.id).order_by(col(Question.position).desc())
    ).first()
    version = survey.version + 1 if has_responses(survey) else survey.version
    question = Question(
        survey_id=id_of(survey),
        position=(last or 0) + 1,
        kind=kind,
        code=(fields.code or "").strip() or None,
        prompt=fields.prompt.strip(),
        help_text=fields.help_text.strip(),
        required=fields.required,
        options=options,
        number_min=fields.number_min if kind == QuestionKind.number else None,
        number_max=fields.number_max if kind == QuestionKind.number else None,
        unit=fields.unit.strip() if kind == QuestionKind.number else "",
        show_if_question_id=fields.show_if_question_id,
        show_if_values=list(fields.show_if_values) if fields.show_if_question_id is not None else [],
        added_in_version=version,
    )
    session.add(question)
    session.flush()
    _touch(session, survey)
    return question


def _breaking_changes(
    question: Question, fields: QuestionFields, kind: QuestionKind, options: list[dict[str, str]]
) -> dict[str, str]:
    """What an edit would change about answers already given; empty when it only adds or rewords."""
    refused: dict[str, str] = {}
    if kind != question.kind:
        refused["kind"] = "The kind of an answered question cannot change; retire it and add a new one."
    new_keys = [option["key"] for option in options]
    missing = [option["label"] for option in question.options if option["key"] not in new_keys]
    if missing:
        refused["options"] = f"Options people have answered cannot be removed (“{missing[0]}”); add new ones instead."
    if fields.required and not question.required:
        refused["required"] = "An answered question cannot become required: earlier responses lack it."
    if kind == QuestionKind.number:
        old_low, old_high = question.number_min, question.number_max
        if fields.number_min is not None and (old_low is None or fields.number_min > old_low):
            refused["number_min"] = "The smallest value can only go down once people have answered."
        if fields.number_max is not None and (old_high is None or fields.number_max < old_high):
            refused["number_max"] = "The largest value can only go up once people have answered."
    if (fields.show_if_question_id, sorted(fields.show_if_values)) != (
        question.show_if_question_id,
        sorted(question.show_if_values),
    ):
        refused["show_if_question_id"] = "Who sees an answered question cannot change; add a new question instead."
    if ((fields.code or "").strip() or None) != question.code:
        refused["code"] = "The code of an answered question cannot change."
    return refused


def update_question(session: Session, *, survey: Survey, question: Question, fields: QuestionFields) -> Question:
    """Change a question: anything before the first response; afterwards only additive or rewording edits."""
    _lock_survey(session, survey)
    if question.is_retired:
        raise Conflict("This question is retired.")
    kind, options, errors = _validate_question(session, survey, fields, question=question)
    if errors:
        raise Invalid("Please correct the marked fields.", fields=errors)
    assert kind is not None
    if has_responses(survey):
        refused = _breaking_changes(question, fields, kind, options)
        if refused:
            raise Invalid(
                "This survey has responses: only new questions, new options, rewording, making a question "
                "optional and retiring are allowed.",
                fields=refused,
            )
    else:
        still_given = {value for value, _ in _answer_values(kind, options)}
        for dependent in _dependents(session, question):
            if not set(dependent.show_if_values) <= still_given:
                raise Invalid(
                    f"“{dependent.prompt}” depends on answers this change removes; change its condition first.",
                    fields={"options": "Another question depends on an answer this change removes."},
                )
    changed = {
        "kind": kind,
        "prompt": fields.prompt.strip(),
        "help_text": fields.help_text.strip(),
        "required": fields.required,
        "options": options,
        "number_min": fields.number_min if kind == QuestionKind.number else None,
        "number_max": fields.number_max if kind == QuestionKind.number else None,
        "unit": fields.unit.strip() if kind == QuestionKind.number else "",
        "show_if_question_id": fields.show_if_question_id,
        "show_if_values": list(fields.show_if_values) if fields.show_if_question_id is not None else [],
        "code": (fields.code or "").strip() or None,
    }
    if all(getattr(question, name) == value for name, value in changed.items()):
        return question
    for name, value in changed.items():
        setattr(question, name, value)
    session.add(question)
    session.flush()
    _touch(session, survey)
    return question


def _dependents(session: Session, question: Question) -> Sequence[Question]:
    return session.exec(
        select(Question).where(Question.show_if_question_id == question.id, col(Question.retired_at).is_(None))
    ).all()


def _require_no_dependents(session: Session, question: Question, *, doing: str) -> None:
    dependents = _dependents(session, question)
    if dependents:
        raise Conflict(f"“{dependents[0].prompt}” depends on this question; change its condition before you {doing}.")


def retire_question(session: Session, *, survey: Survey, question: Question, now: datetime | None = None) -> None:
    """Remove a question: deleted while nobody has answered, retired (kept for older answers) afterwards."""
    _lock_survey(session, survey)
    if question.is_retired:
        raise Conflict("This question is retired already.")
    _require_no_dependents(session, question, doing="remove it")
    if has_responses(survey):
        question.retired_at = now or utcnow()
        question.retired_in_version = survey.version + 1
        session.add(question)
    else:
        session.delete(question)
    session.flush()
    _touch(session, survey)


def move_question(session: Session, *, survey: Survey, question: Question, offset: int) -> list[Question]:
    """Move a question up (negative offset) or down among the current ones; conditions keep their order."""
    _lock_survey(session, survey)
    questions = list_questions(session, survey=survey)
    ids = [id_of(item) for item in questions]
    if question.id not in ids:
        raise Conflict("This question is retired.")
    index = ids.index(id_of(question))
    target = max(0, min(len(questions) - 1, index + offset))
    if target == index:
        return questions
    questions.insert(target, questions.pop(index))
    positions = {id_of(item): number for number, item in enumerate(questions, start=1)}
    for item in questions:
        controller = item.show_if_question_id
        if controller is not None and controller in positions and positions[controller] >= positions[id_of(item)]:
            raise Conflict(f"“{item.prompt}” depends on an earlier question, so it must stay after it.")
    for item in questions:
        item.position = positions[id_of(item)]
        session.add(item)
    session.flush()
    _touch(session, survey)
    return questions


# ------------------------------------------------------------------------------------------------------------
# The template
# ------------------------------------------------------------------------------------------------------------


def _option(key: str, label: str) -> dict[str, str]:
    return {"key": key, "label": label}


def _add_template_questions(session: Session, survey: Survey) -> None:
    """The standard product questions; other domains (insights, campaigns) find them by their codes."""
    _add(
        session,
        survey,
        QuestionFields(
            kind=QuestionKind.rating,
            prompt="Overall, how do you like it?",
            help_text="1 is not at all, 5 is very much.",
            required=True,
            code="overall",
        ),
    )
    _add(
        session,
        survey,
        QuestionFields(
            kind=QuestionKind.single_choice,
            prompt="What should we do with this product?",
            required=True,
            code="outcome",
            options=[
                _option("keep", "Keep it as it is"),
                _option("change_colour", "Change the colour"),
                _option("change_price", "Change the price"),
                _option("change_scent", "Change the scent"),
                _option("scrap", "Scrap it"),
            ],
        ),
    )
    _add(
        session,
        survey,
        QuestionFields(
            kind=QuestionKind.number,
            prompt="What would you pay for it?",
            help_text="In your own currency.",
            number_min=0,
            number_max=10000,
            code="pay",
        ),
    )
    _add(
        session,
        survey,
        QuestionFields(
            kind=QuestionKind.nps,
            prompt="How likely are you to recommend it to a friend?",
            help_text="0 is not at all likely, 10 is extremely likely.",
            required=True,
            code="recommend_intent",
        ),
    )
    recommended = _add(
        session,
        survey,
        QuestionFields(
            kind=QuestionKind.yes_no,
            prompt="Have you recommended it to anyone yet?",
            required=True,
            code="recommended",
        ),
    )
    _add(
        session,
        survey,
        QuestionFields(
            kind=QuestionKind.number,
            prompt="To how many people?",
            required=True,
            number_min=1,
            number_max=1000,
            unit="people",
            code="recommended_count",
            show_if_question_id=recommended.id,
            show_if_values=["yes"],
        ),
    )
    _add(
        session,
        survey,
        QuestionFields(
            kind=QuestionKind.text,
            prompt="Anything else you would like to tell us?",
            code="comments",
        ),
    )


def _add(session: Session, survey: Survey, fields: QuestionFields) -> Question:
    return add_question(session, survey=survey, fields=fields)


# ------------------------------------------------------------------------------------------------------------
# Answering
# ------------------------------------------------------------------------------------------------------------


def _submitted(values: Mapping[str, Sequence[str]], name: str) -> list[str]:
    return [value.strip() for value in values.get(name, []) if value is not None and value.strip()]


def visible_questions(questions: Sequence[Question], values: Mapping[str, Sequence[str]]) -> list[Question]:
    """The current questions someone answering ``values`` is asked: a conditional one only when its condition's
    question is itself visible and answered with one of its values (so conditions chain)."""
    by_id = {question.id: question for question in questions if not question.is_retired}
    shown: dict[int | None, bool] = {}

    def is_shown(question: Question, depth: int = 0) -> bool:
        if question.id in shown:
            return shown[question.id]
        controller = by_id.get(question.show_if_question_id) if question.show_if_question_id is not None else None
        if question.show_if_question_id is None:
            result = True
        elif controller is None or depth > len(by_id):
            result = False  # its condition's question is retired or gone (or a cycle): never asked
        else:
            answers = set(_submitted(values, controller.input_name))
            result = is_shown(controller, depth + 1) and bool(answers & set(question.show_if_values))
        shown[question.id] = result
        return result

    return [question for question in by_id.values() if is_shown(question)]


@dataclass(frozen=True)
class ParsedAnswer:
    question: Question
    option_key: str | None = None
    number_value: float | None = None
    text_value: str | None = None


@dataclass(frozen=True)
class ParsedAnswers:
    """The valid answers of a submission, one per chosen option for multiple choice; photos are named only, as
    ``record_response`` stores them."""

    answers: list[ParsedAnswer]
    visible: list[Question]
    photo_questions: list[Question]


def _whole(raw: str, allowed: range, message: str) -> int:
    if not raw.lstrip("-").isdigit() or int(raw) not in allowed:
        raise ValueError(message)
    return int(raw)


def _number(question: Question, raw: str) -> float:
    try:
        number = float(Decimal(raw.replace(",", ".") if raw.count(",") == 1 and "." not in raw else raw))
    except InvalidOperation as error:
        raise ValueError("Enter a number.") from error
    if not math.isfinite(number) or abs(number) > MAX_NUMBER:
        raise ValueError("Enter a number.")
    number = round(number, 2)
    low, high = question.number_min, question.number_max
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValueError(_bounds_message(question))
    return number


def format_number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _bounds_message(question: Question) -> str:
    low, high = format_number(question.number_min), format_number(question.number_max)
    if low and high:
        return f"Enter a number from {low} to {high}."
    if low:
        return f"Enter a number of at least {low}."
    return f"Enter a number of at most {high}."


def _parse_one(question: Question, raw: list[str]) -> list[ParsedAnswer]:
    """The answers in ``raw`` (blank values removed) to one question; ValueError with the message otherwise."""
    kind = question.kind
    if kind == QuestionKind.multiple_choice:
        keys = {option["key"] for option in question.options}
        chosen = list(dict.fromkeys(raw))
        if any(key not in keys for key in chosen):
            raise ValueError("Choose from the options given.")
        return [ParsedAnswer(question, option_key=key) for key in chosen]
    if len(set(raw)) > 1:
        raise ValueError("Give one answer.")
    value = raw[0]
    if kind == QuestionKind.rating:
        return [ParsedAnswer(question, number_value=_whole(value, RATING_VALUES, "Choose from 1 to 5."))]
    if kind == QuestionKind.nps:
        return [ParsedAnswer(question, number_value=_whole(value, NPS_VALUES, "Choose from 0 to 10."))]
    if kind in (QuestionKind.single_choice, QuestionKind.yes_no):
        if value not in {option["key"] for option in question.options}:
            raise ValueError("Choose from the options given.")
        return [ParsedAnswer(question, option_key=value)]
    if kind == QuestionKind.number:
        return [ParsedAnswer(question, number_value=_number(question, value))]
    if kind == QuestionKind.text:
        if len(value) > MAX_TEXT:
            raise ValueError(f"Use at most {MAX_TEXT:,} characters.")
        return [ParsedAnswer(question, text_value=value)]
    raise ValueError("Upload a photo.")  # photos come as files, never as form values


def parse_answers(
    survey: Survey,
    questions: Sequence[Question],
    form: Mapping[str, Sequence[str]],
    *,
    photo_names: Collection[str] = (),
) -> ParsedAnswers:
    """Check a submission against the survey's current questions.

    ``form`` maps input names ("q12") to the values sent (a multiple-choice question repeats its name);
    ``photo_names`` are the inputs that came with a file. Answers to hidden questions are dropped; required is
    checked only for visible ones. Raises Invalid with an error per input name.
    """
    visible = visible_questions([question for question in questions if question.survey_id == survey.id], form)
    errors: dict[str, str] = {}
    answers: list[ParsedAnswer] = []
    photos: list[Question] = []
    for question in visible:
        name = question.input_name
        if question.kind == QuestionKind.photo:
            if name in photo_names:
                photos.append(question)
            elif question.required:
                errors[name] = "Add a photo."
            continue
        raw = _submitted(form, name)
        if not raw:
            if question.required:
                errors[name] = "Please answer this question."
            continue
        try:
            answers.extend(_parse_one(question, raw))
        except ValueError as error:
            errors[name] = str(error)
    if errors:
        raise Invalid(FIX_FIELDS, fields=errors)
    return ParsedAnswers(answers=answers, visible=visible, photo_questions=photos)


def _store_photos(
    session: Session, questions: Sequence[Question], uploads: Mapping[str, PhotoUpload], *, user: User | None
) -> dict[int, int]:
    """Each photo answer through the image pipeline: question id -> image id; Invalid names every refused one."""
    images: dict[int, int] = {}
    errors: dict[str, str] = {}
    for question in questions:
        upload = uploads[question.input_name]
        try:
            image = media_service.ingest_image(
                session,
                upload=upload.file,
                uploaded_by=user,
                declared_filename=upload.filename or "",
                declared_content_type=upload.content_type or "",
            )
        except Invalid as error:
            errors[question.input_name] = error.message
            continue
        images[id_of(question)] = id_of(image)
    if errors:
        raise Invalid(FIX_FIELDS, fields=errors)
    return images


def _has_file(upload: PhotoUpload | None) -> bool:
    if upload is None or not upload.filename:
        return False
    stream = upload.file
    position = stream.tell()
    first = stream.read(1)
    stream.seek(position)
    return bool(first)


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
    uploads = {name: upload for name, upload in (photos or {}).items() if _has_file(upload)}
    parsed = parse_answers(survey, questions, form, photo_names=uploads.keys())
    if (
        user is not None
        and session.exec(
            select(SurveyResponse.id).where(SurveyResponse.survey_id == survey.id, SurveyResponse.user_id == user.id)
        ).first()
        is not None
    ):
        raise Conflict("You have answered this survey already.")

    # One savepoint: a refused photo or a racing second response leaves nothing behind, whatever the caller does.
    with session.begin_nested():
        images = _store_photos(session, parsed.photo_questions, uploads, user=user)
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
            raise Conflict("You have answered this survey already.") from error
        response_id = id_of(response)
        rows = [
            Answer(
                response_id=response_id,
                question_id=id_of(answer.question),
                option_key=answer.option_key,
                number_value=answer.number_value,
                text_value=answer.text_value,
            )
            for answer in parsed.answers
        ]
        rows += [
            Answer(response_id=response_id, question_id=question_id, image_id=image_id)
            for question_id, image_id in images.items()
        ]
        session.add_all(rows)
        session.flush()
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
        raise NotFound("There is no such response.")
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


# ------------------------------------------------------------------------------------------------------------
# Surveys published to a community: its members answer them once each
# ------------------------------------------------------------------------------------------------------------


def publish_survey(
    session: Session, *, survey: Survey, community: Community | None, now: datetime | None = None
) -> Survey:
    """Publish a survey to one of its brand's communities (``None`` withdraws it); it is not an edit of its
    questions, so the version stays."""
    if community is None:
        survey.community_id = None
        survey.published_at = None
    else:
        if community.brand_id != survey.brand_id:
            raise NotFound("There is no such community.")
        if not list_questions(session, survey=survey):
            raise Conflict("Add questions before publishing the survey.")
        survey.community_id = id_of(community)
        survey.published_at = now or utcnow()
    session.add(survey)
    session.flush()
    return survey


def list_community_surveys(session: Session, *, community: Community) -> Sequence[Survey]:
    """The surveys published to a community, the latest first."""
    return session.exec(
        select(Survey)
        .where(Survey.community_id == community.id)
        .order_by(col(Survey.published_at).desc(), col(Survey.id).desc())
    ).all()


def get_community_survey(session: Session, *, community: Community, survey_id: int) -> Survey:
    survey = session.get(Survey, survey_id)
    if survey is None or survey.community_id != community.id:
        raise NotFound("There is no such survey.")
    return survey


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
        raise NotFound("There is no such survey.")
    rate_limits.hit(
        get_settings().survey_rate_per_account,
        "survey",
        str(member.id),
        message="You have sent a lot of answers in a short time; wait a while before the next.",
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
