"""Request and response shapes of the surveys API."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.columns import RowId
from app.surveys.models import QuestionKind


class SurveyCreate(BaseModel):
    title: str = Field(max_length=500)
    description: str = Field(default="", max_length=10000)
    template: bool = Field(default=False, description="Start with the standard product questions (with their codes)")


class SurveyUpdate(BaseModel):
    title: str = Field(max_length=500)
    description: str = Field(default="", max_length=10000)


class Option(BaseModel):
    key: str = Field(default="", max_length=40, description="Stable; made from the label when empty")
    label: str = Field(max_length=500)


class QuestionWrite(BaseModel):
    kind: QuestionKind
    prompt: str = Field(max_length=1000)
    help_text: str = Field(default="", max_length=2000)
    required: bool = False
    options: list[Option] = Field(default_factory=list, description="Choice questions only")
    number_min: float | None = Field(default=None, description="Number questions only")
    number_max: float | None = None
    unit: str = Field(default="", max_length=40)
    show_if_question_id: RowId | None = Field(default=None, description="Shown only when that earlier question ...")
    show_if_values: list[str] = Field(default_factory=list, description="... was answered with one of these")
    code: str | None = Field(default=None, max_length=40, description="A stable slug other systems find it by")


class QuestionTranslation(BaseModel):
    """A question's words in one language; a blank part (or an option left out) shows the original's."""

    model_config = ConfigDict(from_attributes=True)

    prompt: str = Field(default="", max_length=1000)
    help_text: str = Field(default="", max_length=2000)
    options: dict[str, str] = Field(
        default_factory=dict, description="Option labels by option key (choice and yes/no questions)"
    )


class QuestionMove(BaseModel):
    offset: int = Field(description="Places to move: negative is up, positive down")


class QuestionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    position: int
    kind: QuestionKind
    code: str | None
    prompt: str
    help_text: str
    required: bool
    options: list[Option]
    number_min: float | None
    number_max: float | None
    unit: str
    show_if_question_id: RowId | None
    show_if_values: list[str]
    added_in_version: int
    retired_at: datetime | None
    input_name: str = Field(description="The form field of its answer on pages")
    translations: dict[str, QuestionTranslation] = Field(
        default_factory=dict,
        description="The question in other languages, by language code (en, es, de); each respondent reads their "
        "language's where there is one, else the original. Answers stay option keys in every language.",
    )


class SurveyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    description: str
    version: int
    response_count: int = Field(description="Every stored response, those hidden by moderation too")
    hidden_response_count: int = Field(description="Responses hidden by moderation: left out of every result")
    created_at: datetime
    updated_at: datetime


class SurveyDetail(SurveyPublic):
    brand_slug: str
    questions: list[QuestionPublic]


class ResponseCreate(BaseModel):
    answers: dict[str, str | list[str]] = Field(
        description='Per question id: the value, or values of a multiple-choice question, e.g. {"12": "4", '
        '"13": ["red", "green"]}. Option keys for choices, "yes"/"no", numbers as text. Photo answers come as '
        "files in the multipart/form-data variant of the same request."
    )


class AnswerPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    question_id: RowId
    option_key: str | None
    number_value: float | None
    text_value: str | None
    image_id: RowId | None


class ResponsePublic(BaseModel):
    id: int
    survey_id: RowId
    survey_version: int
    submitted_at: datetime
    hidden: bool = Field(description="Hidden by moderation: left out of every result")
    answers: list[AnswerPublic]


class SurveyPublication(BaseModel):
    community_slug: str | None = Field(description="One of the brand's communities; null withdraws the survey")


class CommunitySurvey(BaseModel):
    id: int
    title: str
    description: str
    answered: bool = Field(description="Whether the caller has answered it (once each)")
    questions: list[QuestionPublic]
