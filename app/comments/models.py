"""Comments on designs: a thread per design, one level of replies, soft-deleted so the thread keeps its shape.

Design-only for now: ideas (a later issue) can add a nullable ``idea_id`` beside ``design_id`` with a check that
exactly one is set; the services and the ``_thread.html`` partial take the thread's rows, not the design.
"""

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.columns import timestamp_field

BODY_MAX_LENGTH = 5000


class Comment(SQLModel, table=True):
    __tablename__ = "comments"

    id: int | None = Field(default=None, primary_key=True)
    design_id: int = Field(foreign_key="designs.id", index=True, ondelete="CASCADE")
    author_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    # Always a thread root (a comment whose parent_id is empty): replies to replies attach to the same root.
    parent_id: int | None = Field(default=None, foreign_key="comments.id", index=True, ondelete="CASCADE")
    # Markdown, rendered through the sanitising ``markdown`` filter when shown; kept after a soft delete (for
    # moderation) but never shown or returned again.
    body: str = Field(max_length=BODY_MAX_LENGTH)
    created_at: datetime = timestamp_field()
    edited_at: datetime | None = timestamp_field(nullable=True)
    deleted_at: datetime | None = timestamp_field(nullable=True)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None
