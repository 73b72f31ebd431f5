"""The webhooks pages: register with errors kept, the secret and log, htmx test events, pause and delete."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.brands.models import StaffRole
from app.webhooks import service as webhooks_service
from app.webhooks.models import SUBSCRIBABLE_EVENTS
from tests.factories import add_staff, csrf_token, log_in, make_brand, make_user
from tests.webhooks.factories import make_endpoint


def _manager(client: TestClient, session: Session):  # type: ignore[no-untyped-def]
    brand = make_brand(session)
    user = make_user(session)
    add_staff(session, brand, user, StaffRole.manager)
    token = csrf_token(client)
    log_in(client, session, user)
    return brand, {"x-csrftoken": token}


def test_registering_an_endpoint_shows_its_secret(client: TestClient, session: Session) -> None:
    brand, headers = _manager(client, session)
    page = client.get(f"/brands/{brand.slug}/webhooks")
    assert page.status_code == 200 and "Register an endpoint" in page.text
    response = client.post(
        f"/brands/{brand.slug}/webhooks",
        data={"url": "https://hooks.example.com/in", "description": "CRM", "events": ["comment_created"]},
        headers=headers,
        follow_redirects=False,
    )
    assert response.status_code == 303
    (endpoint,) = webhooks_service.list_endpoints(session, brand=brand)
    assert response.headers["location"] == f"/brands/{brand.slug}/webhooks/{endpoint.id}"
    detail = client.get(response.headers["location"])
    assert endpoint.secret in detail.text and "Copy its signing secret" in detail.text


def test_a_bad_form_comes_back_with_what_was_typed(client: TestClient, session: Session) -> None:
    brand, headers = _manager(client, session)
    response = client.post(
        f"/brands/{brand.slug}/webhooks",
        data={"url": "not a url", "description": "My CRM"},
        headers=headers,
    )
    assert response.status_code == 422
    assert 'value="not a url"' in response.text and 'value="My CRM"' in response.text
    assert "Give an http:// or https:// URL." in response.text
    assert "Choose one or more events." in response.text
    assert webhooks_service.list_endpoints(session, brand=brand) == []


def test_an_htmx_test_event_answers_with_the_log_fragment(client: TestClient, session: Session) -> None:
    brand, headers = _manager(client, session)
    endpoint = make_endpoint(session, brand)
    url = f"/brands/{brand.slug}/webhooks/{endpoint.id}"
    fragment = client.post(f"{url}/test", headers={**headers, "HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and 'id="deliveries"' in fragment.text and "ping" in fragment.text
    plain = client.post(f"{url}/test", headers=headers, follow_redirects=False)
    assert (plain.status_code, plain.headers["location"]) == (303, url)
    page = client.get(url)
    assert "<html" in page.text and page.text.count("<code>ping</code>") == 2
    refreshed = client.get(url, headers={"HX-Request": "true"})  # the log's Refresh link
    assert "<html" not in refreshed.text and refreshed.text.count("<code>ping</code>") == 2
    assert endpoint.secret not in refreshed.text


def test_pausing_resuming_and_deleting(client: TestClient, session: Session) -> None:
    brand, headers = _manager(client, session)
    endpoint = make_endpoint(session, brand)
    url = f"/brands/{brand.slug}/webhooks/{endpoint.id}"
    client.post(f"{url}/active", data={"is_active": "0"}, headers=headers)
    assert endpoint.is_active is False
    assert "Resume" in client.get(url).text
    client.post(f"{url}/active", data={"is_active": "1"}, headers=headers)
    assert endpoint.is_active is True
    deleted = client.post(f"{url}/delete", headers=headers, follow_redirects=False)
    assert deleted.headers["location"] == f"/brands/{brand.slug}/webhooks"
    assert webhooks_service.list_endpoints(session, brand=brand) == []
    assert client.get(url).status_code == 404


def test_the_events_page_is_public_with_an_example_of_each(client: TestClient) -> None:
    page = client.get("/webhooks/events")
    assert page.status_code == 200
    for event in SUBSCRIBABLE_EVENTS:
        assert f'id="{event.value}"' in page.text
    assert page.text.count('class="event-example"') == len(SUBSCRIBABLE_EVENTS)
    assert "&#34;unit_price_minor&#34;: 2400" in page.text or '"unit_price_minor": 2400' in page.text


def test_choosing_events_grouped_by_domain(client: TestClient, session: Session) -> None:
    brand, headers = _manager(client, session)
    endpoint = make_endpoint(session, brand)
    url = f"/brands/{brand.slug}/webhooks/{endpoint.id}"
    page = client.get(url).text
    domains = ("Ideas and comments", "Challenges", "Campaigns", "Rewards")
    assert all(f"<legend>{domain}</legend>" in page for domain in domains)
    assert page.count('name="events"') == len(SUBSCRIBABLE_EVENTS)
    assert page.count(" checked") == 1  # comment_created

    saved = client.post(
        f"{url}/events", data={"events": ["sale_recorded", "kit_shipped"]}, headers=headers, follow_redirects=False
    )
    assert (saved.status_code, saved.headers["location"]) == (303, url)
    assert endpoint.events == ["kit_shipped", "sale_recorded"]
    assert client.get(url).text.count(" checked") == 2

    refused = client.post(f"{url}/events", data={"events": ["payout_paid", "bogus"]}, headers=headers)
    assert refused.status_code == 422
    assert "There is no event bogus" in refused.text
    assert 'value="payout_paid" checked' in refused.text and 'value="kit_shipped" checked' not in refused.text
    assert endpoint.events == ["kit_shipped", "sale_recorded"]
    assert client.post(f"{url}/events", data={}, headers=headers).status_code == 422


def test_an_htmx_test_of_a_chosen_event_is_logged_as_a_test(client: TestClient, session: Session) -> None:
    brand, headers = _manager(client, session)
    endpoint = make_endpoint(session, brand)
    url = f"/brands/{brand.slug}/webhooks/{endpoint.id}"
    fragment = client.post(f"{url}/test", data={"event": "kit_delivered"}, headers={**headers, "HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "<code>kit_delivered</code> <span" in fragment.text and ">test</span>" in fragment.text
    refused = client.post(f"{url}/test", data={"event": "bogus"}, headers={**headers, "HX-Request": "true"})
    assert refused.status_code == 422 and "There is no event bogus" in refused.text
    (entry,) = webhooks_service.list_deliveries(session, endpoint=endpoint)
    assert entry.delivery.is_test and entry.delivery.event.value == "kit_delivered"
