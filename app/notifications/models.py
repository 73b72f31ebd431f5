"""Outgoing e-mail: written to the outbox in the same transaction as the change it reports, sent afterwards."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.columns import timestamp_field


class OutboxEmail(SQLModel, table=True):
    __tablename__ = "outbox_emails"

    id: int | None = Field(default=None, primary_key=True)
    to_address: str = Field(max_length=254, index=True)
    subject: str = Field(max_length=200)
    body_text: str
    created_at: datetime = timestamp_field(index=True)
    sent_at: datetime | None = timestamp_field(nullable=True)
    attempts: int = Field(default=0)
    last_error: str = Field(default="", max_length=500)
