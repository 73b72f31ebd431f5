"""JSON API of a brand's webhooks: the same services as the pages."""

from fastapi import APIRouter, Response, status

from app.accounts.deps import Public
from app.brands.deps import BrandAccess, brand_access
from app.columns import RowId, id_of
from app.db import SessionDep
from app.i18n import _
from app.permissions import Action
from app.webhooks import catalogue
from app.webhooks import service as webhooks_service
from app.webhooks.schemas import (
    WebhookAttemptPublic,
    WebhookDeliveryPublic,
    WebhookEndpointCreate,
    WebhookEndpointPublic,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecret,
    WebhookEventPublic,
    WebhookTestRequest,
)

router = APIRouter(tags=["webhooks"])
Manager = brand_access(Action.manage_webhooks)


@router.get(
    "/webhook-events",
    summary="Every event an endpoint can receive, with the version and an example of its data",
    description="Each delivery is a POST of JSON: `{id, event, version, test, created_at, brand_id, data}`, signed "
    "in `X-Chorus-Signature` (see the README's Webhooks section). `data` is shaped like the example of its event; "
    "`version` changes when that shape changes incompatibly. Money is in minor units beside its currency.",
)
def list_events(_visitor: Public) -> list[WebhookEventPublic]:
    return [
        WebhookEventPublic(
            event=entry.event.value,
            domain=entry.domain,
            label=_(entry.label),
            description=_(entry.description) if entry.description else "",
            version=entry.version,
            example=entry.example,
        )
        for entry in catalogue.subscribable()
    ]


@router.get("/brands/{brand_slug}/webhooks", summary="The brand's webhook endpoints")
def list_endpoints(session: SessionDep, access: BrandAccess = Manager) -> list[WebhookEndpointPublic]:
    return [
        WebhookEndpointPublic.model_validate(endpoint)
        for endpoint in webhooks_service.list_endpoints(session, brand=access.brand)
    ]


@router.post(
    "/brands/{brand_slug}/webhooks",
    status_code=status.HTTP_201_CREATED,
    summary="Register an endpoint; the answer holds its signing secret",
)
def create_endpoint(
    body: WebhookEndpointCreate, session: SessionDep, access: BrandAccess = Manager
) -> WebhookEndpointWithSecret:
    endpoint = webhooks_service.create_endpoint(
        session,
        brand=access.brand,
        created_by_id=access.user.id,
        url=body.url,
        events=body.events,
        description=body.description,
    )
    return WebhookEndpointWithSecret.model_validate(endpoint)


@router.get("/brands/{brand_slug}/webhooks/{endpoint_id}", summary="One endpoint, with its signing secret")
def get_endpoint(endpoint_id: RowId, session: SessionDep, access: BrandAccess = Manager) -> WebhookEndpointWithSecret:
    endpoint = webhooks_service.get_endpoint(session, brand=access.brand, endpoint_id=endpoint_id)
    return WebhookEndpointWithSecret.model_validate(endpoint)


@router.patch(
    "/brands/{brand_slug}/webhooks/{endpoint_id}", summary="Pause or resume an endpoint, or choose its events"
)
def update_endpoint(
    endpoint_id: RowId, body: WebhookEndpointUpdate, session: SessionDep, access: BrandAccess = Manager
) -> WebhookEndpointPublic:
    endpoint = webhooks_service.get_endpoint(session, brand=access.brand, endpoint_id=endpoint_id)
    if body.events is not None:
        webhooks_service.set_endpoint_events(session, endpoint=endpoint, events=body.events)
    if body.is_active is not None:
        webhooks_service.set_endpoint_active(session, endpoint=endpoint, is_active=body.is_active)
    return WebhookEndpointPublic.model_validate(endpoint)


@router.delete(
    "/brands/{brand_slug}/webhooks/{endpoint_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an endpoint with its delivery log",
)
def delete_endpoint(endpoint_id: RowId, session: SessionDep, access: BrandAccess = Manager) -> Response:
    endpoint = webhooks_service.get_endpoint(session, brand=access.brand, endpoint_id=endpoint_id)
    webhooks_service.delete_endpoint(session, endpoint=endpoint)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _delivery_public(entry: webhooks_service.DeliveryLogEntry) -> WebhookDeliveryPublic:
    public = WebhookDeliveryPublic.model_validate(entry.delivery)
    public.attempt_log = [WebhookAttemptPublic.model_validate(attempt) for attempt in entry.attempts]
    return public


@router.get(
    "/brands/{brand_slug}/webhooks/{endpoint_id}/deliveries",
    summary="The delivery log: newest deliveries with status codes, attempts and the next retry",
)
def list_deliveries(
    endpoint_id: RowId, session: SessionDep, access: BrandAccess = Manager
) -> list[WebhookDeliveryPublic]:
    endpoint = webhooks_service.get_endpoint(session, brand=access.brand, endpoint_id=endpoint_id)
    return [_delivery_public(entry) for entry in webhooks_service.list_deliveries(session, endpoint=endpoint)]


@router.post(
    "/brands/{brand_slug}/webhooks/{endpoint_id}/test",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a test of an event (its documented example; a ping without a body): delivered, signed and logged "
    "like any other, marked as a test",
)
def send_test_event(
    endpoint_id: RowId,
    session: SessionDep,
    body: WebhookTestRequest | None = None,
    access: BrandAccess = Manager,
) -> WebhookDeliveryPublic:
    endpoint = webhooks_service.get_endpoint(session, brand=access.brand, endpoint_id=endpoint_id)
    delivery = webhooks_service.send_test_event(
        session, endpoint=endpoint, sender_id=id_of(access.user), event=body.event if body else None
    )
    return WebhookDeliveryPublic.model_validate(delivery)
