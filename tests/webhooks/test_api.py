"""The webhooks JSON API: register, read the secret, pause, the delivery log, test events, delete; brand isolation."""

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts import tokens as accounts_tokens
from app.accounts.models import User
from app.brands.models import Brand, StaffRole
from app.webhooks import service as webhooks_service
from app.webhooks.models import SUBSCRIBABLE_EVENTS
from tests.factories import add_staff, make_brand, make_user
from tests.webhooks.factories import make_endpoint


def _bearer(session: Session, user: User) -> dict[str, str]:
    _, plain = accounts_tokens.create_api_token(session, user=user, name="tests")
    return {"Authorization": f"Bearer {plain}"}


def _staff(session: Session, brand: Brand, role: StaffRole = StaffRole.manager) -> dict[str, str]:
    user = make_user(session)
    add_staff(session, brand, user, role)
    return _bearer(session, user)


def test_a_manager_registers_pauses_tests_reads_the_log_and_deletes(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    headers = _staff(session, brand)
    base = f"/api/v1/brands/{brand.slug}/webhooks"

    created = client.post(
        base, json={"url": "https://hooks.example.com/in", "events": ["comment_created"]}, headers=headers
    )
    assert created.status_code == 201, created.text
    endpoint = created.json()
    assert endpoint["secret"].startswith("whsec_") and endpoint["is_active"] is True
    assert endpoint["events"] == ["comment_created"]

    listed = client.get(base, headers=headers).json()
    assert [item["id"] for item in listed] == [endpoint["id"]] and "secret" not in listed[0]
    assert client.get(f"{base}/{endpoint['id']}", headers=headers).json()["secret"] == endpoint["secret"]

    paused = client.patch(f"{base}/{endpoint['id']}", json={"is_active": False}, headers=headers)
    assert paused.status_code == 200 and paused.json()["is_active"] is False

    tested = client.post(f"{base}/{endpoint['id']}/test", headers=headers)
    assert tested.status_code == 202, tested.text
    assert (tested.json()["event"], tested.json()["status"]) == ("ping", "pending")

    # The worker's part, here through a transport that answers 200, then the log shows the attempt.
    with httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200))) as http:
        webhooks_service.run_due_deliveries(sessions=_scope(session), client=http)
    (delivery,) = client.get(f"{base}/{endpoint['id']}/deliveries", headers=headers).json()
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == ("delivered", 1, 200)
    assert delivery["next_attempt_at"] is None
    assert [attempt["status_code"] for attempt in delivery["attempt_log"]] == [200]

    assert client.delete(f"{base}/{endpoint['id']}", headers=headers).status_code == 204
    assert client.get(f"{base}/{endpoint['id']}", headers=headers).status_code == 404


def _scope(session: Session):  # type: ignore[no-untyped-def]
    from contextlib import contextmanager

    @contextmanager
    def scope():  # type: ignore[no-untyped-def]
        yield session

    return scope


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "gopher://x.example.com", "events": ["comment_created"]}, "url"),
        ({"url": "https://x.example.com", "events": ["nope"]}, "events"),
    ],
)
def test_bad_input_is_a_clear_422(client: TestClient, session: Session, body: dict[str, object], field: str) -> None:
    brand = make_brand(session)
    response = client.post(f"/api/v1/brands/{brand.slug}/webhooks", json=body, headers=_staff(session, brand))
    assert response.status_code == 422
    assert response.json()["detail"]
    assert webhooks_service.list_endpoints(session, brand=brand) == []


def test_an_analyst_is_refused_and_another_brands_manager_sees_nothing(client: TestClient, session: Session) -> None:
    brand, other = make_brand(session), make_brand(session)
    endpoint = make_endpoint(session, brand)
    analyst = client.get(f"/api/v1/brands/{brand.slug}/webhooks", headers=_staff(session, brand, StaffRole.analyst))
    assert analyst.status_code == 403
    outsider = _staff(session, other)
    assert client.get(f"/api/v1/brands/{brand.slug}/webhooks", headers=outsider).status_code == 404
    # Their own brand's path with this brand's endpoint id: still missing.
    response = client.get(f"/api/v1/brands/{other.slug}/webhooks/{endpoint.id}", headers=outsider)
    assert response.status_code == 404
    assert endpoint.secret not in response.text


def test_test_events_are_rate_limited(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    headers = _staff(session, brand)
    endpoint = make_endpoint(session, brand)
    url = f"/api/v1/brands/{brand.slug}/webhooks/{endpoint.id}/test"
    statuses = [client.post(url, headers=headers).status_code for _ in range(11)]
    assert statuses[:10] == [202] * 10 and statuses[10] == 429


def test_the_event_list_is_public_and_documents_every_event(client: TestClient) -> None:
    response = client.get("/api/v1/webhook-events")
    assert response.status_code == 200
    listed = {item["event"]: item for item in response.json()}
    assert list(listed) == [event.value for event in SUBSCRIBABLE_EVENTS]
    sale = listed["sale_recorded"]
    assert (sale["domain"], sale["version"]) == ("Rewards", 1)
    assert sale["example"]["sale"]["unit_price_minor"] == 2400 and sale["example"]["sale"]["currency"] == "EUR"


def test_a_manager_chooses_events_and_tests_any_of_them(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    headers = _staff(session, brand)
    endpoint = make_endpoint(session, brand)
    url = f"/api/v1/brands/{brand.slug}/webhooks/{endpoint.id}"

    chosen = client.patch(url, json={"events": ["payout_paid", "kit_shipped"]}, headers=headers)
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["events"] == ["kit_shipped", "payout_paid"] and chosen.json()["is_active"] is True
    for body in ({"events": []}, {"events": ["kit_shipped", "nope"]}, {}, {"events": ["kit_shipped"], "is_active": 3}):
        refused = client.patch(url, json=body, headers=headers)
        assert refused.status_code == 422 and refused.json()["detail"], body
    assert endpoint.events == ["kit_shipped", "payout_paid"]

    tested = client.post(f"{url}/test", json={"event": "sale_refunded"}, headers=headers)
    assert tested.status_code == 202, tested.text
    assert (tested.json()["event"], tested.json()["is_test"]) == ("sale_refunded", True)
    unknown = client.post(f"{url}/test", json={"event": "nope"}, headers=headers)
    assert unknown.status_code == 422 and "event" in unknown.text
    (entry,) = webhooks_service.list_deliveries(session, endpoint=endpoint)
    assert entry.delivery.event.value == "sale_refunded" and '"test":true' in entry.delivery.body

    outsider = _staff(session, make_brand(session))
    assert client.patch(url, json={"events": ["kit_shipped"]}, headers=outsider).status_code == 404
    assert client.post(f"{url}/test", json={"event": "kit_shipped"}, headers=outsider).status_code == 404
