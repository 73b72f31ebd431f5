"""Request and response shapes of the ideas API."""

from datetime import datetime

from pydantic import BaseModel, Field

from app.columns import RowId
from app.disclosure.schemas import DisclosurePublic
from app.ideas.models import DESCRIPTION_MAX_LENGTH, RESPONSE_MAX_LENGTH, TITLE_MAX_LENGTH, IdeaStatus


class IdeaCreate(BaseModel):
    title: str = Field(max_length=TITLE_MAX_LENGTH * 2)
    description: str = Field(default="", max_length=DESCRIPTION_MAX_LENGTH * 2, description="Markdown")
    category_id: RowId | None = Field(default=None, description="One of the community's idea categories")


class CategoryCreate(BaseModel):
    name: str = Field(max_length=120)


class CategoryPublic(BaseModel):
    id: int
    name: str
    slug: str


class StatusChange(BaseModel):
    status: IdeaStatus


class ResponseBody(BaseModel):
    response: str = Field(max_length=RESPONSE_MAX_LENGTH * 2, description="Markdown")


class TagsBody(BaseModel):
    tags: list[str] = Field(max_length=50)


class MergeBody(BaseModel):
    into: RowId = Field(description="The id of the original idea that takes over this one's votes and followers")


class HiddenBody(BaseModel):
    hidden: bool


class IdeaPublic(BaseModel):
    id: int
    community_slug: str
    title: str
    description: str = Field(description="Markdown")
    status: IdeaStatus
    category: CategoryPublic | None
    tags: list[str]
    author_handle: str | None
    disclosures: list[DisclosurePublic] = Field(
        description="The author's material connections to the brand (free sample, rewards, staff), always shown"
    )
    vote_count: int
    follower_count: int
    comment_count: int
    trending: float = Field(description="Votes weighted by recency now: each counts 0.5 ** (age in days / 7)")
    photo_url: str | None
    thumbnail_url: str | None
    response: str | None = Field(description="The brand's official response (Markdown), if any")
    response_at: datetime | None
    merged_into_id: RowId | None
    hidden: bool
    created_at: datetime
    status_changed_at: datetime | None
    voted: bool = Field(description="Whether the caller voted for it")


class VoteState(BaseModel):
    idea_id: RowId
    voted: bool
    vote_count: int
    changed: bool = Field(description="False when the call changed nothing (a second vote, or no vote to take back)")


class FollowState(BaseModel):
    idea_id: RowId
    following: bool
    follower_count: int
    changed: bool


class RoadmapColumn(BaseModel):
    status: IdeaStatus
    count: int
    ideas: list[IdeaPublic]


class Roadmap(BaseModel):
    sort: str
    columns: list[RoadmapColumn]
