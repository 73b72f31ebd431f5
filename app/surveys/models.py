"""Surveys a brand builds, their questions, people's responses and answers, and the tallies results are read from."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Float, Text, text
from sqlmodel import Column, Field, SQLModel, UniqueConstraint

from app.columns import enum_field, timestamp_field
from app.i18n.translate import gettext

# The tally row of "answered at all" (see AnswerTally).
ANSWERED = "*"


class QuestionKind(StrEnum):
    rating = "rating"  # 1-5
    nps = "nps"  # 0-10, "how likely are you to recommend ..."
    single_choice = "single_choice"
    multiple_choice = "multiple_choice"
    text = "text"
    yes_no = "yes_no"
    number = "number"
    photo = "photo"


class Survey(SQLModel, table=True):
    __tablename__ = "surveys"

    id: int | None = Field(default=None, primary_key=True)
    brand_id: int = Field(foreign_key="brands.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=5000)
    # 1 until the first response; then every accepted edit adds 1, and each response records the version it answered.
    version: int = Field(default=1)
    # Kept by record_response in the response's transaction (a conditional UPDATE), never recounted. Every stored
    # response counts, hidden ones too: their answers keep the questions' meaning (the editing rules).
    response_count: int = Field(default=0)
    # Responses a moderator hid (app/moderation): out of every result until restored; moved with their tallies.
    hidden_response_count: int = Field(default=0)
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")  # i18n: ignore
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    # Published to one of the brand's communities: its members answer it on the community's page, once each.
    community_id: int | None = Field(
        default=None,
        foreign_key="communities.id",
        index=True,
        ondelete="SET NULL",  # i18n: ignore
    )
    published_at: datetime | None = timestamp_field(nullable=True)

    @property
    def shown_response_count(self) -> int:
        """The responses results count: every one but those hidden by moderation."""
        return self.response_count - self.hidden_response_count


class Question(SQLModel, table=True):
    __tablename__ = "survey_questions"
    # NULL codes are distinct on both databases: only the template's (and any a manager gives) must be unique.
    __table_args__ = (UniqueConstraint("survey_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="surveys.id", index=True, ondelete="CASCADE")
    position: int = Field(default=0)
    kind: QuestionKind = enum_field(QuestionKind)
    # A stable slug ("outcome", "pay", "recommend_intent", ...) by which other domains find a question.
    code: str | None = Field(default=None, max_length=40)
    prompt: str = Field(max_length=500)
    help_text: str = Field(default="", max_length=1000)
    required: bool = Field(default=False)
    # [{"key": "keep", "label": "Keep it as it is"}, ...] for choice questions; keys never change once answered.
    options: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    number_min: float | None = Field(default=None, sa_type=Float)
    number_max: float | None = Field(default=None, sa_type=Float)
    unit: str = Field(default="", max_length=20)
    # Shown only when the answer to that (earlier) question is one of these option keys or values.
    show_if_question_id: int | None = Field(
        default=None,
        foreign_key="survey_questions.id",
        ondelete="SET NULL",  # i18n: ignore
    )
    show_if_values: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The question in other languages, written by the brand (app/surveys/translations.py): {"de": {"prompt": ...,
    # "help_text": ..., "options": {option key: label}}}. Answers keep option keys, so results add up across them.
    translations: dict[str, dict[str, Any]] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    added_in_version: int = Field(default=1)
    # A question removed after responses exist stays, retired, so older answers keep their question.
    retired_at: datetime | None = timestamp_field(nullable=True)
    retired_in_version: int | None = Field(default=None)
    created_at: datetime = timestamp_field()

    @property
    def input_name(self) -> str:
        """The form field that carries this question's answer."""
        return f"q{self.id}"

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    def option_label(self, key: str) -> str:
        for option in self.options:
            if option["key"] == key:
                return option["label"]
        return key

    def in_language(self, locale: str) -> "ShownQuestion":
        """The question as a respondent reading ``locale`` sees it: its translation where the brand wrote one (each
        part on its own), else the original; yes/no answers in the reader's language unless translated."""
        translation = self.translations.get(locale) or {}
        labels = translation.get("options") or {}
        options = []
        for option in self.options:
            label = labels.get(option["key"]) or (
                gettext(option["label"]) if self.kind == QuestionKind.yes_no else option["label"]
            )
            options.append({"key": option["key"], "label": label})
        return ShownQuestion(
            prompt=translation.get("prompt") or self.prompt,
            help_text=translation.get("help_text") or self.help_text,
            options=options,
        )


@dataclass(frozen=True)
class ShownQuestion:
    """A question's words in one language (``Question.in_language``); its other fields stay the question's."""

    prompt: str
    help_text: str
    options: list[dict[str, str]]

    def option_label(self, key: str) -> str:
        return next((option["label"] for option in self.options if option["key"] == key), key)


# Kinds whose answered count is not the sum of their values' (several choices, or no value at all): their answer
# keys carry an ANSWERED key too.
ANSWERED_KEY_KINDS = frozenset({QuestionKind.multiple_choice, QuestionKind.text, QuestionKind.photo})


class SurveyResponse(SQLModel, table=True):
    """One person's response. ``answer_keys`` is what it adds to the tallies, kept with it (written once, in
    the response's transaction): ``<question id>:<value key>`` for each value (an option, "yes"/"no", a rating or
    number as the tallies write it), and ``<question id>:*`` (ANSWERED) for questions of ANSWERED_KEY_KINDS,
    separated by spaces. A segment's figures are the sum of its responses' keys: one short row per response
    instead of its ten answers (``app.insights.survey_results``)."""

    __tablename__ = "survey_responses"
    # One response per person and survey; anonymous responses (NULL user) are not limited here.
    __table_args__ = (UniqueConstraint("survey_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="surveys.id", index=True, ondelete="CASCADE")
    survey_version: int
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True, ondelete="SET NULL")  # i18n: ignore
    submitted_at: datetime = timestamp_field(index=True)
    # Where it was given: the community the survey was published to when a member answered it there, or the
    # campaign's community for an answer through a share link; none for one the brand's own systems recorded.
    # A report about the response goes to that community's moderators (app/surveys/moderation.py).
    community_id: int | None = Field(
        default=None,
        foreign_key="communities.id",
        index=True,
        ondelete="SET NULL",  # i18n: ignore
    )
    # Set while moderation hides it: left out of every result, its answers taken off the tallies.
    hidden_at: datetime | None = timestamp_field(nullable=True)
    answer_keys: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=text("''")))

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class Answer(SQLModel, table=True):
    """One answer to one question; a multiple-choice answer is one row per chosen option."""

    __tablename__ = "survey_answers"

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="survey_responses.id", index=True, ondelete="CASCADE")
    question_id: int = Field(foreign_key="survey_questions.id", index=True, ondelete="CASCADE")
    option_key: str | None = Field(default=None, max_length=40)
    number_value: float | None = Field(default=None, sa_type=Float)
    text_value: str | None = Field(default=None, max_length=2000)
    image_id: int | None = Field(default=None, foreign_key="media_images.id", ondelete="RESTRICT")


class AnswerTally(SQLModel, table=True):
    """How many responses gave each value of a question, kept by UPSERT in each response's transaction.

    ``value_key`` is an option key (choice questions), "yes"/"no", the value itself ("4" for a rating, "7.5" for
    a number), or ``ANSWERED`` ("*"): the number of responses that answered the question at all, whose ``sum``
    holds the sum of the values of rating, NPS and number questions (so a mean needs no scan).
    """

    __tablename__ = "survey_answer_tallies"
    __table_args__ = (UniqueConstraint("question_id", "value_key"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="surveys.id", index=True, ondelete="CASCADE")
    question_id: int = Field(foreign_key="survey_questions.id", ondelete="CASCADE")
    value_key: str = Field(max_length=40)
    count: int = Field(default=0)
    sum: float = Field(default=0.0, sa_type=Float)
