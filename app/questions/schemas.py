"""Request and response shapes of the Q&A API."""

from datetime import datetime

from pydantic import BaseModel, Field

from app.columns import RowId
from app.disclosure.schemas import DisclosurePublic
from app.questions.models import ANSWER_MAX_LENGTH, BODY_MAX_LENGTH, TITLE_MAX_LENGTH, VISITOR_NAME_MAX_LENGTH


class QuestionCreate(BaseModel):
    title: str = Field(max_length=TITLE_MAX_LENGTH * 2)
    body: str = Field(default="", max_length=BODY_MAX_LENGTH * 2, description="Details, in Markdown")
    visitor_name: str = Field(
        default="",
        max_length=VISITOR_NAME_MAX_LENGTH * 2,
        description="The name shown with a visitor's question (asked without logging in)",
    )
    product_id: RowId | None = Field(default=None, description="One of the brand's live products")
    campaign_id: RowId | None = Field(default=None, description="One of the community's published campaigns")


class AnswerCreate(BaseModel):
    body: str = Field(max_length=ANSWER_MAX_LENGTH * 2, description="Markdown")


class Person(BaseModel):
    handle: str | None = Field(description="None for a visitor or a deleted account")
    display_name: str
    is_visitor: bool = False
    disclosures: list[DisclosurePublic] = Field(
        default_factory=list,
        description="Material connections to the brand, always shown (GET /api/v1/disclosure/rules)",
    )


class QuestionPublic(BaseModel):
    id: int
    community_slug: str
    title: str
    body: str
    asked_by: Person
    product_id: int | None
    campaign_id: int | None
    answer_count: int
    follower_count: int
    answered: bool = Field(description="Has an answer members can see")
    accepted: bool = Field(description="Has an accepted answer")
    hidden: bool
    created_at: datetime
    url: str


class AnswerPublic(BaseModel):
    id: int
    question_id: int
    body: str
    author: Person
    by_brand: bool = Field(description="Written by the brand's staff (shown with the “Brand” badge)")
    vote_count: int
    voted: bool = Field(description="The caller voted for it")
    accepted: bool
    accepted_at: datetime | None
    hidden: bool
    created_at: datetime


class QuestionDetail(QuestionPublic):
    following: bool
    may_accept: bool = Field(description="The caller may accept an answer (the asker or the brand's staff)")
    answers: list[AnswerPublic]


class QuestionSettingsBody(BaseModel):
    visitors_may_ask: bool = Field(
        description="Visitors (and people who have not joined) may ask; their questions wait for a moderator"
    )


class QuestionSettingsPublic(QuestionSettingsBody):
    community_slug: str


class VoteState(BaseModel):
    answer_id: int
    voted: bool
    vote_count: int
    changed: bool


class FollowState(BaseModel):
    question_id: int
    following: bool
    follower_count: int
    changed: bool


class AcceptState(BaseModel):
    answer_id: int
    accepted: bool
    changed: bool


class HiddenBody(BaseModel):
    hidden: bool


class HelpfulAnswers(BaseModel):
    handle: str
    helpful_answer_count: int = Field(description="The member's answers accepted now, in every community")
