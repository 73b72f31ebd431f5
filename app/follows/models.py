"""Members following designers: who follows whom, one row per pair."""

from datetime import datetime

from sqlmodel import CheckConstraint, Field, SQLModel, UniqueConstraint

from app.columns import timestamp_field


class DesignerFollow(SQLModel, table=True):
    """A member following a designer, to be told of their new designs, wins and pre-orders.

    The pair is unique, so two follows at once (two tabs, a double click) make one row; nobody follows themselves.
    """

    __tablename__ = "designer_follows"
    __table_args__ = (
        UniqueConstraint("follower_id", "designer_id"),
        CheckConstraint("follower_id <> designer_id", name="not_oneself"),  # i18n: ignore
    )

    id: int | None = Field(default=None, primary_key=True)
    follower_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    # Counting a designer's followers and telling them all read this index.
    designer_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    created_at: datetime = timestamp_field()
