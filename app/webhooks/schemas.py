"""Request and response shapes of the webhooks API."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.webhooks.models import DeliveryStatus, WebhookEvent


class WebhookEndpointCreate(BaseModel):
    url: str = Field(description="An http:// or https:// URL that receives POSTed JSON")
    events: list[str] = Field(description="Names of events to receive (GET /api/v1/webhook-events lists them)")
    description: str = ""


class WebhookEndpointUpdate(BaseModel):
    is_active: bool | None = Field(
        default=None, description="False pauses the endpoint: no new deliveries until it is resumed"
    )
    events: list[str] | None = Field(default=None, description="The events the endpoint receives from now on")

    @model_validator(mode="after")
    def _something_to_change(self) -> "WebhookEndpointUpdate":
        if self.is_active is None and self.events is None:
            raise ValueError("Give is_active, events or both.")
        return self


class WebhookTestRequest(BaseModel):
    event: str | None = Field(
        default=None, description="The event whose documented example to send; a ping when left out"
    )


class WebhookEventPublic(BaseModel):
    """One event of the catalogue, as the public list of events documents it."""

    event: str = Field(description="The name, as in X-Chorus-Event and the body's event field")
    domain: str
    label: str
    description: str
    version: int = Field(description="The version of its data, sent as the body's version field")
    example: dict[str, Any] = Field(description="An example of the body's data field")


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
    is_test: bool = Field(description="A test sent from the endpoint's page or API, not a business event")
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str
    next_attempt_at: datetime | None = Field(description="When the next retry is due (pending deliveries only)")
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[WebhookAttemptPublic] = []
