"""The ideas board: members' ideas and product feedback, their categories, votes and followers.

An idea moves through statuses set by the brand's managers (see ``rules.TRANSITIONS``); a duplicate is merged into
its original (``merged_into_id``), which takes over its votes and followers. Counters (votes, followers, comments)
and the trending score are kept by the services in the transaction of each change.
"""

from datetime import datetime
from enum import StrEnum
from typing import Final

from sqlmodel import Field, Index, SQLModel, UniqueConstraint

from app.columns import enum_field, timestamp_field

SET_NULL: Final = "SET NULL"  # i18n: ignore (SQL)

TITLE_MAX_LENGTH = 120
DESCRIPTION_MAX_LENGTH = 5000
RESPONSE_MAX_LENGTH = 5000


class IdeaStatus(StrEnum):
    open = "open"
    under_review = "under_review"
    planned = "planned"
    in_progress = "in_progress"
    done = "done"
    declined = "declined"


class IdeaCategory(SQLModel, table=True):
    """A community's own grouping of ideas (e.g. "Scents", "Packaging"), made by the brand's managers."""

    __tablename__ = "idea_categories"
    __table_args__ = (UniqueConstraint("community_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="communities.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=60)
    slug: str = Field(max_length=60)
    created_at: datetime = timestamp_field()


class Idea(SQLModel, table=True):
    __tablename__ = "ideas"
    # The board's sorts within a community, answered from an index even with thousands of ideas.
    __table_args__ = (
        Index("ix_ideas_community_id_vote_count", "community_id", "vote_count"),
        Index("ix_ideas_community_id_trending_score", "community_id", "trending_score"),
        Index("ix_ideas_community_id_status", "community_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="communities.id", ondelete="CASCADE")
    author_id: int | None = Field(default=None, foreign_key="users.id", index=True, ondelete=SET_NULL)
    category_id: int | None = Field(default=None, foreign_key="idea_categories.id", index=True, ondelete=SET_NULL)
    image_id: int | None = Field(default=None, foreign_key="media_images.id", index=True, ondelete=SET_NULL)
    title: str = Field(max_length=TITLE_MAX_LENGTH)
    # Markdown, rendered through the sanitising ``markdown`` filter.
    description: str = Field(default="", max_length=DESCRIPTION_MAX_LENGTH)
    # Normalised like design tags: lower-case, unique, sorted, comma-separated; set by the brand's managers.
    tags: str = Field(default="", max_length=500)
    status: IdeaStatus = enum_field(IdeaStatus, default=IdeaStatus.open)
    status_changed_at: datetime | None = timestamp_field(nullable=True)
    # The brand's official response (Markdown), shown above the comments.
    response: str = Field(default="", max_length=RESPONSE_MAX_LENGTH)
    response_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete=SET_NULL)
    response_at: datetime | None = timestamp_field(nullable=True)
    merged_into_id: int | None = Field(default=None, foreign_key="ideas.id", index=True, ondelete=SET_NULL)
    merged_at: datetime | None = timestamp_field(nullable=True)
    # Hidden by a moderator or manager: seen only by them (and its author).
    hidden_at: datetime | None = timestamp_field(nullable=True)
    created_at: datetime = timestamp_field()
    vote_count: int = Field(default=0)
    follower_count: int = Field(default=0)
    comment_count: int = Field(default=0)
    # Sum over votes of 2 ** ((voted_at - TRENDING_EPOCH) / half-life): see rules.trending_weight.
    trending_score: float = Field(default=0.0)

    @property
    def tag_list(self) -> list[str]:
        return [tag for tag in self.tags.split(",") if tag]

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class IdeaVote(SQLModel, table=True):
    """One member's vote for an idea: one per member and idea (the unique pair), taken back by deleting it."""

    __tablename__ = "idea_votes"
    __table_args__ = (UniqueConstraint("idea_id", "voter_id"),)

    id: int | None = Field(default=None, primary_key=True)
    idea_id: int = Field(foreign_key="ideas.id", index=True, ondelete="CASCADE")
    voter_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    created_at: datetime = timestamp_field()


class IdeaFollow(SQLModel, table=True):
    """Someone who is told about an idea's comments, status changes and official response."""

    __tablename__ = "idea_follows"
    __table_args__ = (UniqueConstraint("idea_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    idea_id: int = Field(foreign_key="ideas.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    created_at: datetime = timestamp_field()
