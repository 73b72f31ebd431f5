"""HTML pages of a brand's webhooks: endpoints, their events, their secret, the delivery log and test events; and the
public list of events with their payloads."""

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.deps import Public
from app.brands.deps import BrandAccess, brand_access
from app.columns import RowId, id_of
from app.db import SessionDep
from app.errors import AppError
from app.i18n import _
from app.permissions import Action
from app.web import flash
from app.web.forms import form_error
from app.web.requests import redirect
from app.web.templating import is_htmx, render
from app.webhooks import catalogue
from app.webhooks import service as webhooks_service
from app.webhooks.models import SUBSCRIBABLE_EVENTS, WebhookEndpoint

router = APIRouter(include_in_schema=False)
Manager = brand_access(Action.manage_webhooks)
FormText = Annotated[str, Form()]
FormList = Annotated[list[str] | None, Form()]


def _labels() -> dict[str, str]:
    return {entry.event.value: _(entry.label) for entry in (*catalogue.subscribable(), catalogue.PING)}


@router.get("/webhooks/events", name="webhooks:events")
def events_page(request: Request, _visitor: Public) -> Response:
    """Every event an endpoint can receive, with the envelope and an example of each payload (public: receivers'
    developers read it without an account)."""
    return render(request, "webhooks/events.html", {"groups": catalogue.by_domain()})


def _list_context(session: SessionDep, access: BrandAccess, form: Mapping[str, object]) -> dict[str, object]:
    return {
        "brand": access.brand,
        "endpoints": webhooks_service.list_endpoints(session, brand=access.brand),
        "failing": webhooks_service.failing_endpoint_ids(session, brand_id=id_of(access.brand)),
        "groups": catalogue.by_domain(),
        "event_labels": _labels(),
        "form": form,
    }


@router.get("/brands/{brand_slug}/webhooks", name="webhooks:list")
def endpoints_page(request: Request, session: SessionDep, access: BrandAccess = Manager) -> Response:
    form = {"url": "", "description": "", "events": [event.value for event in SUBSCRIBABLE_EVENTS]}
    return render(request, "webhooks/list.html", _list_context(session, access, form))


@router.post("/brands/{brand_slug}/webhooks")
def create_endpoint(
    request: Request,
    session: SessionDep,
    url: FormText = "",
    description: FormText = "",
    events: FormList = None,
    access: BrandAccess = Manager,
) -> Response:
    form = {"url": url, "description": description, "events": events or []}
    try:
        endpoint = webhooks_service.create_endpoint(
            session,
            brand=access.brand,
            created_by_id=access.user.id,
            url=url,
            events=events or [],
            description=description,
        )
    except AppError as error:
        return form_error(request, session, "webhooks/list.html", _list_context(session, access, form), error)
    response = redirect(request, f"/brands/{access.brand.slug}/webhooks/{endpoint.id}")
    flash.add(response, request, _("Endpoint registered. Copy its signing secret into your receiver."))
    return response


def _detail_context(
    session: SessionDep, access: BrandAccess, endpoint: WebhookEndpoint, *, chosen: list[str] | None = None
) -> dict[str, object]:
    return {
        "brand": access.brand,
        "endpoint": endpoint,
        "log": webhooks_service.list_deliveries(session, endpoint=endpoint),
        "event_labels": _labels(),
        "groups": catalogue.by_domain(),
        "chosen": list(endpoint.events) if chosen is None else chosen,
        "test_events": [catalogue.PING, *catalogue.subscribable()],
    }


def _detail(request: Request, session: SessionDep, access: BrandAccess, endpoint: WebhookEndpoint) -> Response:
    context = _detail_context(session, access, endpoint)
    return render(request, "webhooks/detail.html", context, block="deliveries")


@router.get("/brands/{brand_slug}/webhooks/{endpoint_id}", name="webhooks:detail")
def endpoint_page(request: Request, endpoint_id: RowId, session: SessionDep, access: BrandAccess = Manager) -> Response:
    """The endpoint with its secret and delivery log; htmx asks for the log alone to refresh it."""
    endpoint = webhooks_service.get_endpoint(session, brand=access.brand, endpoint_id=endpoint_id)
    return _detail(request, session, access, endpoint)


@router.post("/brands/{brand_slug}/webhooks/{endpoint_id}/active")
def set_active(
    request: Request,
    endpoint_id: RowId,
    session: SessionDep,
    is_active: FormText = "",
    access: BrandAccess = Manager,
) -> Response:
    endpoint = webhooks_service.get_endpoint(session, brand=access.brand, endpoint_id=endpoint_id)
    webhooks_service.set_endpoint_active(session, endpoint=endpoint, is_active=is_active == "1")
    response = redirect(request, f"/brands/{access.brand.slug}/webhooks/{endpoint.id}")
    flash.add(response, request, _("Endpoint resumed.") if endpoint.is_active else _("Endpoint paused."))
    return response


@router.post("/brands/{brand_slug}/webhooks/{endpoint_id}/events")
def set_events(
    request: Request, endpoint_id: RowId, session: SessionDep, events: FormList = None, access: BrandAccess = Manager
) -> Response:
    """Choose the endpoint's events; a refused choice shows the page again with what was ticked."""
    endpoint = webhooks_service.get_endpoint(session, brand=access.brand, endpoint_id=endpoint_id)
    try:
        webhooks_service.set_endpoint_events(session, endpoint=endpoint, events=events or [])
    except AppError as error:
        context = _detail_context(session, access, endpoint, chosen=events or [])
        return form_error(request, session, "webhooks/detail.html", context, error)
    response = redirect(request, f"/brands/{access.brand.slug}/webhooks/{endpoint.id}")
    flash.add(response, request, _("Events saved."))
    return response


@router.post("/brands/{brand_slug}/webhooks/{endpoint_id}/delete")
def delete_endpoint(
    request: Request, endpoint_id: RowId, session: SessionDep, access: BrandAccess = Manager
) -> Response:
    endpoint = webhooks_service.get_endpoint(session, brand=access.brand, endpoint_id=endpoint_id)
    webhooks_service.delete_endpoint(session, endpoint=endpoint)
    response = redirect(request, f"/brands/{access.brand.slug}/webhooks")
    flash.add(response, request, _("Endpoint deleted."))
    return response


@router.post("/brands/{brand_slug}/webhooks/{endpoint_id}/test")
def send_test_event(
    request: Request, endpoint_id: RowId, session: SessionDep, event: FormText = "", access: BrandAccess = Manager
) -> Response:
    """Queue a test of the chosen event (a ping when none is chosen); an htmx request gets the refreshed log, a plain
    form the page again."""
    endpoint = webhooks_service.get_endpoint(session, brand=access.brand, endpoint_id=endpoint_id)
    try:
        webhooks_service.send_test_event(session, endpoint=endpoint, sender_id=id_of(access.user), event=event)
    except AppError as error:
        context = _detail_context(session, access, endpoint)
        return form_error(request, session, "webhooks/detail.html", context, error, block="deliveries")
    if is_htmx(request):
        return _detail(request, session, access, endpoint)
    response = redirect(request, f"/brands/{access.brand.slug}/webhooks/{endpoint.id}")
    flash.add(response, request, _("Test event queued; it appears in the log below."))
    return response
