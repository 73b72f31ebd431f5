"""Community Q&A: questions (``CommunityQuestion``: a survey's is ``Question``) asked in a community, by members
or by visitors where the community allows it, the answers to them, votes on answers, followers of questions, and
each community's Q&A setting.

One answer at most is accepted per question (``CommunityAnswer.accepted_at``; a partial unique index holds it in the
database too); the asker or the brand's staff accept it, and may move the acceptance to another answer. Counters
(answers shown, followers, votes) are kept by the services in the transaction of each change.
"""

from datetime import datetime
from typing import Final

from sqlalchemy import text
from sqlmodel import Field, Index, SQLModel, UniqueConstraint

from app.columns import timestamp_field

SET_NULL: Final = "SET NULL"  # i18n: ignore (SQL)

TITLE_MAX_LENGTH = 150
BODY_MAX_LENGTH = 5000
ANSWER_MAX_LENGTH = 5000
VISITOR_NAME_MAX_LENGTH = 60


class QuestionSettings(SQLModel, table=True):
    """A community's Q&A setting: whether people who are not members (visitors) may ask. Off until a manager turns
    it on; visitors' questions then wait for a moderator (pre-moderation) and are rate-limited by IP address."""

    __tablename__ = "question_settings"

    community_id: int = Field(foreign_key="communities.id", primary_key=True, ondelete="CASCADE")
    visitors_may_ask: bool = Field(default=False)
    updated_at: datetime = timestamp_field()


class CommunityQuestion(SQLModel, table=True):
    __tablename__ = "questions"
    __table_args__ = (
        Index("ix_questions_community_id_created_at", "community_id", "created_at"),
        Index("ix_questions_community_id_answer_count", "community_id", "answer_count"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="communities.id", ondelete="CASCADE")
    # None for a visitor's question (``visitor_name`` names them) or once the account is deleted.
    author_id: int | None = Field(default=None, foreign_key="users.id", index=True, ondelete=SET_NULL)
    visitor_name: str = Field(default="", max_length=VISITOR_NAME_MAX_LENGTH)
    # Optionally about one of the brand's products or a campaign of the community.
    product_id: int | None = Field(default=None, foreign_key="products.id", index=True, ondelete=SET_NULL)
    campaign_id: int | None = Field(default=None, foreign_key="campaigns.id", index=True, ondelete=SET_NULL)
    title: str = Field(max_length=TITLE_MAX_LENGTH)
    # Markdown, rendered through the sanitising ``markdown`` filter.
    body: str = Field(default="", max_length=BODY_MAX_LENGTH)
    # Hidden by a moderator (or held for review): seen only by moderators, the brand's managers and its author.
    hidden_at: datetime | None = timestamp_field(nullable=True)
    created_at: datetime = timestamp_field()
    # Answers members see (not hidden); 0 is "unanswered".
    answer_count: int = Field(default=0)
    follower_count: int = Field(default=0)
    # When the current accepted answer was accepted (None: none is); ``acceptance_count`` numbers acceptances, so
    # that each one's points award has a key of its own (app/questions/accepting.py).
    accepted_at: datetime | None = timestamp_field(nullable=True)
    acceptance_count: int = Field(default=0)

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def from_visitor(self) -> bool:
        return self.author_id is None and bool(self.visitor_name)


class CommunityAnswer(SQLModel, table=True):
    __tablename__ = "answers"
    __table_args__ = (
        # One accepted answer per question, whatever races the services might lose.
        Index(
            "ix_answers_one_accepted",
            "question_id",
            unique=True,
            sqlite_where=text("accepted_at IS NOT NULL"),
            postgresql_where=text("accepted_at IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="questions.id", index=True, ondelete="CASCADE")
    author_id: int | None = Field(default=None, foreign_key="users.id", index=True, ondelete=SET_NULL)
    body: str = Field(max_length=ANSWER_MAX_LENGTH)
    # Written by the brand's staff (when posted): shown with the "Brand" badge.
    by_staff: bool = Field(default=False)
    vote_count: int = Field(default=0)
    accepted_at: datetime | None = timestamp_field(nullable=True)
    accepted_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete=SET_NULL)
    # The points this acceptance paid its author (app.rewards.points), reversed when the acceptance moves.
    points_award_id: int | None = Field(default=None, foreign_key="points_awards.id", ondelete=SET_NULL)
    hidden_at: datetime | None = timestamp_field(nullable=True)
    created_at: datetime = timestamp_field()

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def is_accepted(self) -> bool:
        return self.accepted_at is not None


class AnswerVote(SQLModel, table=True):
    """One member's vote for an answer: one per member and answer (the unique pair)."""

    __tablename__ = "answer_votes"
    __table_args__ = (UniqueConstraint("answer_id", "voter_id"),)

    id: int | None = Field(default=None, primary_key=True)
    answer_id: int = Field(foreign_key="answers.id", index=True, ondelete="CASCADE")
    voter_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    created_at: datetime = timestamp_field()


class QuestionFollow(SQLModel, table=True):
    """Someone told of a question's new answers and of the answer accepted."""

    __tablename__ = "question_follows"
    __table_args__ = (UniqueConstraint("question_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="questions.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    created_at: datetime = timestamp_field()
