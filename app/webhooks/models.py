"""Webhooks: a brand's endpoints, the deliveries of events to them, and every attempt at a delivery."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Text
from sqlmodel import Field, Index, SQLModel

from app.columns import enum_field, timestamp_field


class WebhookEvent(StrEnum):
    """What happened; ``app.webhooks.catalogue`` describes each event and documents its payload."""

    idea_created = "idea_created"
    idea_status_changed = "idea_status_changed"
    comment_created = "comment_created"
    design_submitted = "design_submitted"
    challenge_phase_changed = "challenge_phase_changed"
    winners_announced = "winners_announced"
    application_received = "application_received"
    application_decided = "application_decided"
    kit_shipped = "kit_shipped"
    kit_delivered = "kit_delivered"
    campaign_response_recorded = "campaign_response_recorded"
    sale_recorded = "sale_recorded"
    sale_refunded = "sale_refunded"
    payout_paid = "payout_paid"
    preorder_opened = "preorder_opened"
    preorder_funded = "preorder_funded"
    preorder_failed = "preorder_failed"
    review_published = "review_published"
    question_asked = "question_asked"
    answer_accepted = "answer_accepted"
    # Sent only by "send test event" without a chosen event; endpoints do not subscribe to it.
    ping = "ping"


SUBSCRIBABLE_EVENTS = (
    WebhookEvent.idea_created,
    WebhookEvent.idea_status_changed,
    WebhookEvent.comment_created,
    WebhookEvent.design_submitted,
    WebhookEvent.challenge_phase_changed,
    WebhookEvent.winners_announced,
    WebhookEvent.application_received,
    WebhookEvent.application_decided,
    WebhookEvent.kit_shipped,
    WebhookEvent.kit_delivered,
    WebhookEvent.campaign_response_recorded,
    WebhookEvent.sale_recorded,
    WebhookEvent.sale_refunded,
    WebhookEvent.payout_paid,
    WebhookEvent.preorder_opened,
    WebhookEvent.preorder_funded,
    WebhookEvent.preorder_failed,
    WebhookEvent.review_published,
    WebhookEvent.question_asked,
    WebhookEvent.answer_accepted,
)
# Event names are stored in a VARCHAR of this length (webhook_deliveries.event).
EVENT_NAME_LENGTH = 40


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoints"

    id: int | None = Field(default=None, primary_key=True)
    brand_id: int = Field(foreign_key="brands.id", index=True, ondelete="CASCADE")
    url: str = Field(max_length=500)
    description: str = Field(default="", max_length=200)
    events: list[str] = Field(default_factory=list, sa_type=JSON)
    secret: str = Field(max_length=64)
    is_active: bool = Field(default=True)
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")  # i18n: ignore
    created_at: datetime = timestamp_field()


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint. ``body`` is the exact JSON sent (and signed), the same on every attempt."""

    __tablename__ = "webhook_deliveries"
    # The retry sweep asks for pending deliveries whose time has come.
    __table_args__ = (Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=32, unique=True)
    endpoint_id: int = Field(foreign_key="webhook_endpoints.id", index=True, ondelete="CASCADE")
    event: WebhookEvent = enum_field(WebhookEvent, length=EVENT_NAME_LENGTH)
    body: str = Field(sa_type=Text)
    # A test delivery (sent from the endpoint's page or API with an example payload), not a business event.
    is_test: bool = Field(default=False)
    status: DeliveryStatus = enum_field(DeliveryStatus, default=DeliveryStatus.pending)
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = timestamp_field(nullable=True)
    last_status_code: int | None = Field(default=None)
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = timestamp_field()
    delivered_at: datetime | None = timestamp_field(nullable=True)


class WebhookAttempt(SQLModel, table=True):
    """The log: one row per HTTP attempt, with what came back (or why nothing did)."""

    __tablename__ = "webhook_attempts"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_deliveries.id", index=True, ondelete="CASCADE")
    number: int
    attempted_at: datetime = timestamp_field()
    status_code: int | None = Field(default=None)
    error: str = Field(default="", max_length=500)
    duration_ms: int = Field(default=0)
