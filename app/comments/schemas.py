"""Request and response shapes of the comments API (comments on designs and on ideas)."""

from datetime import datetime

from pydantic import BaseModel, Field

from app.columns import RowId
from app.comments.models import BODY_MAX_LENGTH
from app.disclosure.schemas import DisclosurePublic


class CommentCreate(BaseModel):
    body: str = Field(max_length=BODY_MAX_LENGTH * 2, description="Markdown")
    parent_id: RowId | None = Field(default=None, description="The comment replied to; replies join its thread")


class CommentUpdate(BaseModel):
    body: str = Field(max_length=BODY_MAX_LENGTH * 2, description="Markdown")


class CommentPublic(BaseModel):
    id: int
    design_id: RowId | None = Field(description="The design commented on (null for a comment on an idea)")
    idea_id: RowId | None = Field(default=None, description="The idea commented on (null for a comment on a design)")
    parent_id: RowId | None
    author_handle: str
    author_display_name: str
    disclosures: list[DisclosurePublic] = Field(
        description="The author's material connections to the brand (free sample, rewards, staff), always shown"
    )
    body: str | None = Field(description="Markdown; null once the comment is deleted")
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    hidden: bool = Field(default=False, description="Hidden by moderation: shown only to its author and moderators")
    replies: list["CommentPublic"] = Field(default_factory=list)
