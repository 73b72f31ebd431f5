"""Factories for surveys: built through the service, so each one obeys the editing rules."""

from collections.abc import Sequence

from sqlmodel import Session

from app.accounts.models import User
from app.brands.models import Brand
from app.surveys import building as surveys_building
from app.surveys import questions as surveys_questions
from app.surveys.models import Question, QuestionKind, Survey
from tests.factories import make_brand


def make_survey(
    session: Session, brand: Brand | None = None, *, template: bool = False, author: User | None = None, **fields: str
) -> Survey:
    return surveys_building.create_survey(
        session,
        brand=brand or make_brand(session),
        title=fields.get("title", "Tell us about it"),
        description=fields.get("description", ""),
        author=author,
        template=template,
    )


def add_question(session: Session, survey: Survey, kind: QuestionKind | str, **overrides: object) -> Question:
    """A question of the given kind with sensible defaults (two options for choices)."""
    values: dict[str, object] = {"kind": kind, "prompt": f"A {kind} question?"}
    if kind in ("single_choice", "multiple_choice"):
        values["options"] = [{"key": "red", "label": "Red"}, {"key": "green", "label": "Green"}]
    values.update(overrides)
    return surveys_questions.add_question(
        session,
        survey=survey,
        fields=surveys_questions.QuestionFields(**values),  # type: ignore[arg-type]
    )


def form(*pairs: tuple[Question, str | Sequence[str]]) -> dict[str, list[str]]:
    """The form a browser would send for these (question, answer) pairs; a list of values repeats the input name."""
    return {question.input_name: [value] if isinstance(value, str) else list(value) for question, value in pairs}


def by_code(questions: Sequence[Question]) -> dict[str, Question]:
    return {question.code: question for question in questions if question.code}
