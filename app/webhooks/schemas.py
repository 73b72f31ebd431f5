"""Request and response shapes of the webhooks API."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.webhooks.models import DeliveryStatus, WebhookEvent


class WebhookEndpointCreate(BaseModel):
    url: str = Field(description="An http:// or https:// URL that receives POSTed JSON")
    events: list[str] = Field(description="Any of idea_created, idea_status_changed, comment_created")
    description: str = ""


class WebhookEndpointUpdate(BaseModel):
    is_active: bool = Field(description="False pauses the endpoint: no new deliveries until it is resumed")


class WebhookEndpointPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    description: str
    events: list[str]
    is_active: bool
    created_at: datetime


class WebhookEndpointWithSecret(WebhookEndpointPublic):
    secret: str = Field(description="Signs every delivery: verify X-Chorus-Signature with it (README, Webhooks)")


class WebhookAttemptPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    attempted_at: datetime
    status_code: int | None
    error: str
    duration_ms: int


class WebhookDeliveryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str = Field(description="Sent as X-Chorus-Delivery; the same on every retry, so receivers can deduplicate")
    event: WebhookEvent
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str
    next_attempt_at: datetime | None = Field(description="When the next retry is due (pending deliveries only)")
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[WebhookAttemptPublic] = []
