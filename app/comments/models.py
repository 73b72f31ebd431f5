"""Comments on designs and on ideas: a thread per design or idea, one level of replies, soft-deleted so the thread
keeps its shape.

A comment belongs to exactly one subject: ``design_id`` or ``idea_id`` is set, never both (the ``one_subject``
check); the services and the ``_thread.html`` partial take the thread's rows and URLs, not the subject itself.
"""

from datetime import datetime

from sqlmodel import CheckConstraint, Field, SQLModel

from app.columns import timestamp_field

BODY_MAX_LENGTH = 5000


class Comment(SQLModel, table=True):
    __tablename__ = "comments"
    __table_args__ = (CheckConstraint("(design_id IS NULL) <> (idea_id IS NULL)", name="one_subject"),)  # i18n: ignore

    id: int | None = Field(default=None, primary_key=True)
    design_id: int | None = Field(default=None, foreign_key="designs.id", index=True, ondelete="CASCADE")
    idea_id: int | None = Field(default=None, foreign_key="ideas.id", index=True, ondelete="CASCADE")
    author_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    # Always a thread root (a comment whose parent_id is empty): replies to replies attach to the same root.
    parent_id: int | None = Field(default=None, foreign_key="comments.id", index=True, ondelete="CASCADE")
    # Markdown, rendered through the sanitising ``markdown`` filter when shown; kept after a soft delete (for
    # moderation) but never shown or returned again.
    body: str = Field(max_length=BODY_MAX_LENGTH)
    created_at: datetime = timestamp_field()
    edited_at: datetime | None = timestamp_field(nullable=True)
    deleted_at: datetime | None = timestamp_field(nullable=True)
    # Set while moderation hides the comment (app.moderation): shown then only to its author and the moderators.
    hidden_at: datetime | None = timestamp_field(nullable=True)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None
