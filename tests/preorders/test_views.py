"""The product page and its pre-order panel: the full page, the panel alone for htmx, the form again with the
error and what was typed, and the brand's opening form."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.columns import utcnow
from app.preorders import service as preorders_service
from tests.factories import csrf_token, log_in
from tests.preorders.factories import PreorderWorld, a_member, build_preorder_world, open_preorder

HTMX = {"HX-Request": "true"}
ADDRESS = {"recipient_name": "Mia Example", "address_line1": "12 Harbour Road", "city": "Leith", "country": "GB"}


@pytest.fixture
def world(session: Session) -> PreorderWorld:
    return build_preorder_world(session)


def _url(world: PreorderWorld) -> str:
    return f"/c/{world.community.slug}/products/{world.product.id}"


def test_the_product_page_shows_the_design_designer_and_progress(
    client: TestClient, session: Session, world: PreorderWorld
) -> None:
    open_preorder(session, world, target_count=50)
    page = client.get(_url(world))
    assert page.status_code == 200
    assert "<html" in page.text and "Harbour Lights Tee" in page.text
    assert f'href="/u/{world.designer.handle}/designs"' in page.text
    assert "0 of 50, 4 days left" in page.text or "0 of 50, 3 days left" in page.text
    assert '<progress max="50" value="0"' in page.text
    assert "Log in to pledge" in page.text
    panel = client.get(_url(world), headers=HTMX)
    assert "<html" not in panel.text and "Pre-order" in panel.text
    design_page = client.get(f"/designs/{world.design.id}").text
    assert f'href="{_url(world)}"' in design_page and "On pre-order" in design_page


def test_pledging_with_htmx_swaps_the_panel_and_a_mistake_keeps_what_was_typed(
    client: TestClient, session: Session, world: PreorderWorld
) -> None:
    open_preorder(session, world, target_count=50)
    log_in(client, session, a_member(session, world))
    headers = {"x-csrftoken": csrf_token(client), **HTMX}
    wrong = client.post(
        _url(world) + "/pledge",
        data={"variant": "M", "quantity": "1", **ADDRESS, "country": "Scotland"},
        headers=headers,
    )
    assert wrong.status_code == 422
    assert "<html" not in wrong.text and 'value="12 Harbour Road"' in wrong.text and "two-letter" in wrong.text
    done = client.post(_url(world) + "/pledge", data={"variant": "M", "quantity": "2", **ADDRESS}, headers=headers)
    assert done.status_code == 200 and "<html" not in done.text
    assert "2 of 50" in done.text and "chorus:toast" in done.headers["HX-Trigger"]
    assert "Change my pledge" in done.text
    plain = client.post(
        _url(world) + "/pledge/withdraw", headers={"x-csrftoken": headers["x-csrftoken"]}, follow_redirects=False
    )
    assert plain.status_code == 303 and plain.headers["location"] == _url(world)


def test_the_manager_opens_a_preorder_from_the_form(client: TestClient, session: Session, world: PreorderWorld) -> None:
    log_in(client, session, world.manager)
    url = f"/brands/{world.brand.slug}/rewards/products/{world.product.id}/preorder"
    assert "Open the pre-order" in client.get(url).text
    token = csrf_token(client)
    deadline = (utcnow() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    form = {"target_count": "ten", "deadline_at": deadline, "price": "24.00", "variants": "S, M", "stock_limit": ""}
    refused = client.post(url, data={**form, "csrftoken": token})
    assert refused.status_code == 422 and 'value="ten"' in refused.text
    assert preorders_service.get_preorder(session, product=world.product) is None
    opened = client.post(url, data={**form, "target_count": "10", "csrftoken": token}, follow_redirects=False)
    assert opened.status_code == 303
    preorder = preorders_service.get_preorder(session, product=world.product)
    assert preorder is not None and preorder.variants == ["S", "M"] and preorder.target_count == 10
    assert "0 of 10" in client.get(url).text


def test_the_product_page_and_the_api_speak_the_members_language(
    client: TestClient, session: Session, world: PreorderWorld
) -> None:
    open_preorder(session, world, target_count=50)
    page = client.get(_url(world), headers={"Accept-Language": "de"})
    assert "0 von 50, noch 4 Tage" in page.text or "0 von 50, noch 3 Tage" in page.text
    assert "24,00\u00a0€ pro Stück" in page.text and "Anmelden, um zuzusagen" in page.text
    missing = client.get(
        f"/api/v1/communities/{world.community.slug}/products/{world.product.id + 1000}",
        headers={"Accept-Language": "es"},
    )
    assert missing.status_code == 404 and missing.json()["detail"] == "No existe ese producto."
