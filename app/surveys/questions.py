"""A survey's questions: reading them (as of any version), adding, editing, retiring and reordering them.

Editing rules. Before the first response anything goes. Once a survey has responses, an edit may only add or
reword: new questions, new options, new labels and prompts, making a question optional, wider number bounds,
retiring a question (it stays, retired, so older answers keep it) and reordering. Anything that would change the
meaning of answers already given (the kind, an option's key, removing options, making a question required,
narrower bounds, the condition, the code) is refused with Invalid. Each accepted edit after responses adds 1 to
``survey.version``; each response records the version it answered, and ``questions_at_version`` gives the
questions of a version.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from app.columns import id_of, utcnow
from app.errors import Conflict, Invalid, NotFound
from app.i18n import N_, _
from app.i18n.formatting import format_number
from app.slugs import slugify
from app.surveys.models import (
    Question,
    QuestionKind,
    Survey,
)

RATING_VALUES = range(1, 6)
NPS_VALUES = range(0, 11)
YES_NO_OPTIONS = ({"key": "yes", "label": N_("Yes")}, {"key": "no", "label": N_("No")})
CHOICE_KINDS = frozenset({QuestionKind.single_choice, QuestionKind.multiple_choice})
NUMERIC_KINDS = frozenset({QuestionKind.rating, QuestionKind.nps, QuestionKind.number})
MAX_TEXT = 2000
MAX_NUMBER = 1e12
MAX_OPTIONS = 30
MAX_QUESTIONS = 60
FIX_FIELDS = N_("Please correct the marked answers.")


def has_responses(survey: Survey) -> bool:
    return survey.response_count > 0


def lock_survey(session: Session, survey: Survey) -> None:
    """Lock the survey's row (PostgreSQL) and read its current counters, so an edit and a response never cross."""
    session.exec(select(Survey.id).where(Survey.id == survey.id).with_for_update()).one()
    session.refresh(survey, attribute_names=["version", "response_count"])


def touch_survey(session: Session, survey: Survey) -> None:
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
        raise NotFound(_("There is no such question."))
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
            errors["options"] = _("Give every option a label.")
            continue
        if len(label) > 200:
            errors["options"] = _("Keep each option under 200 characters.")
            continue
        if key:
            if key in used or slugify(key, max_length=40).replace("-", "_") != key:
                errors["options"] = _("The option key “%(key)s” is not valid or is used twice.", key=key)
                continue
        else:
            base = slugify(label, max_length=36).replace("-", "_") or "option"
            key, number = base, 2
            while key in used or (key in taken and not any(o["key"] == key and o["label"] == label for o in existing)):
                key, number = f"{base}_{number}", number + 1
        used.add(key)
        options.append({"key": key, "label": label})
    if len(options) > MAX_OPTIONS:
        errors["options"] = _("Use at most %(count)s options.", count=MAX_OPTIONS)
    return options


def _validate_question(
    session: Session, survey: Survey, fields: QuestionFields, *, question: Question | None
) -> tuple[QuestionKind | None, list[dict[str, str]], dict[str, str]]:
    errors = dict(fields.errors)
    kind = QuestionKind(fields.kind) if fields.kind in QuestionKind.__members__ else None
    if kind is None:
        errors["kind"] = _("Choose a kind of question.")
    if not fields.prompt.strip() or len(fields.prompt.strip()) > 500:
        errors["prompt"] = _("Ask the question (up to 500 characters).")
    if len(fields.help_text) > 1000:
        errors["help_text"] = _("Use at most %(count)s characters.", count=format_number(1000))
    if len(fields.unit) > 20:
        errors["unit"] = _("Use at most %(count)s characters.", count=format_number(20))
    options: list[dict[str, str]] = []
    if kind in CHOICE_KINDS:
        # Once answered, a new option never takes an old key (an answer would change meaning); before, keys are free.
        answered = question.options if question is not None and has_responses(survey) else []
        options = _normalised_options(fields.options, answered, errors)
        if len(options) < 2 and "options" not in errors:
            errors["options"] = _("Give at least two options.")
    elif kind == QuestionKind.yes_no:
        options = [dict(option) for option in YES_NO_OPTIONS]
    if kind == QuestionKind.number:
        for name in ("number_min", "number_max"):
            value = getattr(fields, name)
            if value is not None and not math.isfinite(value):
                errors[name] = _("Use a number.")
        low, high = fields.number_min, fields.number_max
        if low is not None and high is not None and low > high and "number_max" not in errors:
            errors["number_max"] = _("The largest value must not be below the smallest.")
    if fields.code is not None and fields.code != "":
        code = fields.code.strip()
        if slugify(code, max_length=40).replace("-", "_") != code:
            errors["code"] = _("Use lower-case letters, digits and underscores.")
        else:
            clash = session.exec(
                select(Question.id).where(Question.survey_id == survey.id, Question.code == code)
            ).first()
            if clash is not None and (question is None or clash != question.id):
                errors["code"] = _("Another question of this survey has this code.")
    if fields.show_if_question_id is not None:
        errors.update(_condition_errors(session, survey, fields, question=question))
    return kind, options, errors


def _condition_errors(
    session: Session, survey: Survey, fields: QuestionFields, *, question: Question | None
) -> dict[str, str]:
    controller = session.get(Question, fields.show_if_question_id)
    if controller is None or controller.survey_id != survey.id or controller.is_retired:
        return {"show_if_question_id": _("Choose a question of this survey.")}
    if question is not None and (controller.id == question.id or controller.position >= question.position):
        return {"show_if_question_id": _("A question can only depend on a question before it.")}
    allowed = {value for value, _ in condition_values(controller)}
    if not allowed:
        return {"show_if_question_id": _("Only choice, yes/no, rating and NPS questions can control another.")}
    if not fields.show_if_values:
        return {"show_if_values": _("Choose the answers that show this question.")}
    unknown = [value for value in fields.show_if_values if value not in allowed]
    if unknown:
        return {"show_if_values": _("“%(value)s” is not an answer to that question.", value=unknown[0])}
    return {}


def condition_values(question: Question) -> list[tuple[str, str]]:
    """The answers of a question another question may depend on, as (value, label) pairs; none for other kinds."""
    return _answer_values(question.kind, question.options)


def _answer_values(kind: QuestionKind, options: Sequence[Mapping[str, str]]) -> list[tuple[str, str]]:
    if kind == QuestionKind.yes_no:
        # Stored in English (YES_NO_OPTIONS): shown in the reader's language.
        return [(option["key"], _(option["label"])) for option in options]
    if kind in CHOICE_KINDS:
        return [(option["key"], option["label"]) for option in options]
    if kind == QuestionKind.rating:
        return [(str(value), str(value)) for value in RATING_VALUES]
    if kind == QuestionKind.nps:
        return [(str(value), str(value)) for value in NPS_VALUES]
    return []


def add_question(session: Session, *, survey: Survey, fields: QuestionFields) -> Question:
    """Add a question at the end of a survey (always allowed; after responses it makes a new version)."""
    lock_survey(session, survey)
    kind, options, errors = _validate_question(session, survey, fields, question=None)
    count = len(list_questions(session, survey=survey))
    if count >= MAX_QUESTIONS:
        errors["prompt"] = _("A survey has at most %(count)s questions.", count=MAX_QUESTIONS)
    if errors:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
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
    touch_survey(session, survey)
    return question


def _breaking_changes(
    question: Question, fields: QuestionFields, kind: QuestionKind, options: list[dict[str, str]]
) -> dict[str, str]:
    """What an edit would change about answers already given; empty when it only adds or rewords."""
    refused: dict[str, str] = {}
    if kind != question.kind:
        refused["kind"] = _("The kind of an answered question cannot change; retire it and add a new one.")
    new_keys = [option["key"] for option in options]
    missing = [option["label"] for option in question.options if option["key"] not in new_keys]
    if missing:
        refused["options"] = _(
            "Options people have answered cannot be removed (“%(option)s”); add new ones instead.", option=missing[0]
        )
    if fields.required and not question.required:
        refused["required"] = _("An answered question cannot become required: earlier responses lack it.")
    if kind == QuestionKind.number:
        old_low, old_high = question.number_min, question.number_max
        if fields.number_min is not None and (old_low is None or fields.number_min > old_low):
            refused["number_min"] = _("The smallest value can only go down once people have answered.")
        if fields.number_max is not None and (old_high is None or fields.number_max < old_high):
            refused["number_max"] = _("The largest value can only go up once people have answered.")
    if (fields.show_if_question_id, sorted(fields.show_if_values)) != (
        question.show_if_question_id,
        sorted(question.show_if_values),
    ):
        refused["show_if_question_id"] = _("Who sees an answered question cannot change; add a new question instead.")
    if ((fields.code or "").strip() or None) != question.code:
        refused["code"] = _("The code of an answered question cannot change.")
    return refused


def update_question(session: Session, *, survey: Survey, question: Question, fields: QuestionFields) -> Question:
    """Change a question: anything before the first response; afterwards only additive or rewording edits."""
    lock_survey(session, survey)
    if question.is_retired:
        raise Conflict(_("This question is retired."))
    kind, options, errors = _validate_question(session, survey, fields, question=question)
    if errors:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
    assert kind is not None
    if has_responses(survey):
        refused = _breaking_changes(question, fields, kind, options)
        if refused:
            raise Invalid(
                _(
                    "This survey has responses: only new questions, new options, rewording, making a question "
                    "optional and retiring are allowed."
                ),
                fields=refused,
            )
    else:
        still_given = {value for value, _ in _answer_values(kind, options)}
        for dependent in _dependents(session, question):
            if not set(dependent.show_if_values) <= still_given:
                raise Invalid(
                    _(
                        "“%(prompt)s” depends on answers this change removes; change its condition first.",
                        prompt=dependent.prompt,
                    ),
                    fields={"options": _("Another question depends on an answer this change removes.")},
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
    touch_survey(session, survey)
    return question


def _dependents(session: Session, question: Question) -> Sequence[Question]:
    return session.exec(
        select(Question).where(Question.show_if_question_id == question.id, col(Question.retired_at).is_(None))
    ).all()


def _require_no_dependents(session: Session, question: Question) -> None:
    dependents = _dependents(session, question)
    if dependents:
        raise Conflict(
            _(
                "“%(prompt)s” depends on this question; change its condition before you remove it.",
                prompt=dependents[0].prompt,
            )
        )


def retire_question(session: Session, *, survey: Survey, question: Question, now: datetime | None = None) -> None:
    """Remove a question: deleted while nobody has answered, retired (kept for older answers) afterwards."""
    lock_survey(session, survey)
    if question.is_retired:
        raise Conflict(_("This question is retired already."))
    _require_no_dependents(session, question)
    if has_responses(survey):
        question.retired_at = now or utcnow()
        question.retired_in_version = survey.version + 1
        session.add(question)
    else:
        session.delete(question)
    session.flush()
    touch_survey(session, survey)


def move_question(session: Session, *, survey: Survey, question: Question, offset: int) -> list[Question]:
    """Move a question up (negative offset) or down among the current ones; conditions keep their order."""
    lock_survey(session, survey)
    questions = list_questions(session, survey=survey)
    ids = [id_of(item) for item in questions]
    if question.id not in ids:
        raise Conflict(_("This question is retired."))
    index = ids.index(id_of(question))
    target = max(0, min(len(questions) - 1, index + offset))
    if target == index:
        return questions
    questions.insert(target, questions.pop(index))
    positions = {id_of(item): number for number, item in enumerate(questions, start=1)}
    for item in questions:
        controller = item.show_if_question_id
        if controller is not None and controller in positions and positions[controller] >= positions[id_of(item)]:
            raise Conflict(
                _("“%(prompt)s” depends on an earlier question, so it must stay after it.", prompt=item.prompt)
            )
    for item in questions:
        item.position = positions[id_of(item)]
        session.add(item)
    session.flush()
    touch_survey(session, survey)
    return questions
