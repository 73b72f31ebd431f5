"""Request and response shapes of the comments API."""

from datetime import datetime

from pydantic import BaseModel, Field

from app.comments.models import BODY_MAX_LENGTH


class CommentCreate(BaseModel):
    body: str = Field(max_length=BODY_MAX_LENGTH * 2, description="Markdown")
    parent_id: int | None = Field(default=None, description="The comment replied to; replies join its thread")


class CommentUpdate(BaseModel):
    body: str = Field(max_length=BODY_MAX_LENGTH * 2, description="Markdown")


class CommentPublic(BaseModel):
    id: int
    design_id: int
    parent_id: int | None
    author_handle: str
    author_display_name: str
    body: str | None = Field(description="Markdown; null once the comment is deleted")
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    replies: list["CommentPublic"] = Field(default_factory=list)
