"""The webhooks pages, the events catalogue and the API's errors in the reader's language."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts import tokens as accounts_tokens
from tests.factories import add_staff, log_in, make_brand, make_user
from tests.webhooks.factories import make_endpoint


def test_the_events_catalogue_speaks_german_and_its_json_spanish(client: TestClient) -> None:
    page = client.get("/webhooks/events", headers={"Accept-Language": "de"})
    assert "<h1>Webhook-Ereignisse</h1>" in page.text and "Eine Idee wird veröffentlicht" in page.text
    assert "Ideen und Kommentare" in page.text and "An idea is posted" not in page.text
    events = client.get("/api/v1/webhook-events", headers={"Accept-Language": "es"}).json()
    idea = next(event for event in events if event["event"] == "idea_created")
    assert idea["label"] == "Se publica una idea"
    assert idea["example"]["idea"]["title"] == "Refill pouches"  # example data stays as it is


def test_a_refused_endpoint_is_explained_in_spanish(client: TestClient, session: Session) -> None:
    brand, manager = make_brand(session), make_user(session)
    add_staff(session, brand, manager)
    _, plain = accounts_tokens.create_api_token(session, user=manager, name="tests")
    refused = client.post(
        f"/api/v1/brands/{brand.slug}/webhooks",
        json={"url": "ftp://hooks.example.com", "events": []},
        headers={"Authorization": f"Bearer {plain}", "Accept-Language": "es"},
    )
    assert refused.status_code == 422
    assert refused.json()["detail"] == "Corrige los campos marcados."
    messages = {error["field"]: error["message"] for error in refused.json()["errors"]}
    assert messages == {"url": "Indica una URL http:// o https://.", "events": "Elige uno o más eventos."}


def test_the_endpoint_page_counts_in_german(client: TestClient, session: Session) -> None:
    brand, manager = make_brand(session), make_user(session)
    add_staff(session, brand, manager)
    endpoint = make_endpoint(session, brand, events=["idea_created"])
    log_in(client, session, manager)
    page = client.get(f"/brands/{brand.slug}/webhooks/{endpoint.id}", headers={"Accept-Language": "de"})
    assert "1 Ereignis" in page.text and "Signatur-Secret" in page.text and "Testereignis senden" in page.text
