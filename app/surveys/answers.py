"""Reading submitted answers against a survey's questions.

Conditional display. A question may be shown only when the answer to an earlier question is one of some values
(option keys, "yes"/"no", or rating and NPS values). A question is visible when its condition's question is
visible and answered with one of the values, so conditions chain. Without JavaScript every question shows on the
page; the server drops answers to questions whose condition is not met and checks ``required`` only for visible
ones.
"""

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import BinaryIO, Protocol

from sqlmodel import Session

from app.accounts.models import User
from app.columns import id_of
from app.errors import Invalid
from app.i18n import _
from app.i18n.formatting import format_number as format_figure
from app.media import service as media_service
from app.surveys.models import (
    Question,
    QuestionKind,
    Survey,
)
from app.surveys.questions import FIX_FIELDS, MAX_NUMBER, MAX_TEXT, NPS_VALUES, RATING_VALUES


class PhotoUpload(Protocol):
    """What a photo answer needs of an uploaded file (Starlette's UploadFile has it)."""

    @property
    def filename(self) -> str | None: ...

    @property
    def content_type(self) -> str | None: ...

    @property
    def file(self) -> BinaryIO: ...


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
        raise ValueError(_("Enter a number.")) from error
    if not math.isfinite(number) or abs(number) > MAX_NUMBER:
        raise ValueError(_("Enter a number."))
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
    low, high = format_figure(question.number_min), format_figure(question.number_max)
    if low and high:
        return _("Enter a number from %(low)s to %(high)s.", low=low, high=high)
    if low:
        return _("Enter a number of at least %(low)s.", low=low)
    return _("Enter a number of at most %(high)s.", high=high)


def _parse_one(question: Question, raw: list[str]) -> list[ParsedAnswer]:
    """The answers in ``raw`` (blank values removed) to one question; ValueError with the message otherwise."""
    kind = question.kind
    if kind == QuestionKind.multiple_choice:
        keys = {option["key"] for option in question.options}
        chosen = list(dict.fromkeys(raw))
        if any(key not in keys for key in chosen):
            raise ValueError(_("Choose from the options given."))
        return [ParsedAnswer(question, option_key=key) for key in chosen]
    if len(set(raw)) > 1:
        raise ValueError(_("Give one answer."))
    value = raw[0]
    if kind == QuestionKind.rating:
        return [ParsedAnswer(question, number_value=_whole(value, RATING_VALUES, _("Choose from 1 to 5.")))]
    if kind == QuestionKind.nps:
        return [ParsedAnswer(question, number_value=_whole(value, NPS_VALUES, _("Choose from 0 to 10.")))]
    if kind in (QuestionKind.single_choice, QuestionKind.yes_no):
        if value not in {option["key"] for option in question.options}:
            raise ValueError(_("Choose from the options given."))
        return [ParsedAnswer(question, option_key=value)]
    if kind == QuestionKind.number:
        return [ParsedAnswer(question, number_value=_number(question, value))]
    if kind == QuestionKind.text:
        if len(value) > MAX_TEXT:
            raise ValueError(_("Use at most %(count)s characters.", count=format_figure(MAX_TEXT)))
        return [ParsedAnswer(question, text_value=value)]
    raise ValueError(_("Upload a photo."))  # photos come as files, never as form values


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
                errors[name] = _("Add a photo.")
            continue
        raw = _submitted(form, name)
        if not raw:
            if question.required:
                errors[name] = _("Please answer this question.")
            continue
        try:
            answers.extend(_parse_one(question, raw))
        except ValueError as error:
            errors[name] = str(error)
    if errors:
        raise Invalid(_(FIX_FIELDS), fields=errors)
    return ParsedAnswers(answers=answers, visible=visible, photo_questions=photos)


def store_photos(
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
        raise Invalid(_(FIX_FIELDS), fields=errors)
    return images


def has_file(upload: PhotoUpload | None) -> bool:
    """Whether a file was chosen and has content (an empty file input sends an empty part)."""
    if upload is None or not upload.filename:
        return False
    stream = upload.file
    position = stream.tell()
    first = stream.read(1)
    stream.seek(position)
    return bool(first)
