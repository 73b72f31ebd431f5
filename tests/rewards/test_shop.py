"""A designer's shop (their live products with price and store link) and their royalties per product, read from
the ledger: splits, refunds and a commission on their own referral kept apart."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.errors import Invalid
from app.rewards import referrals as rewards_referrals
from app.rewards import sales as rewards_sales
from app.rewards import shop as rewards_shop
from app.rewards import terms as rewards_terms
from app.rewards.models import Sale
from tests.factories import add_staff, csrf_token, log_in, make_brand, make_user
from tests.rewards.factories import make_live_product, make_member_of, make_product, sell


def test_the_shop_lists_live_products_with_price_and_store_link(session: Session) -> None:
    brand = make_brand(session, name="Tidewear")
    designer, partner, other = make_user(session), make_user(session), make_user(session)
    own = make_live_product(session, brand, designer, price="30.00", store_url="https://shop.example.com/tide")
    shared = make_live_product(
        session, brand, partner, splits=f"{partner.handle} 60\n{designer.handle} 40", price="12.50"
    )
    make_product(session, brand, designer, name="Draft only")  # a draft: not in the shop
    make_live_product(session, brand, other)

    shop = rewards_shop.list_shop_products(session, designer=designer)

    assert [item.product.id for item in shop] == [shared.id, own.id]  # newest first
    assert [(item.price_minor, item.currency) for item in shop] == [(1250, "EUR"), (3000, "EUR")]
    assert shop[1].store_url == "https://shop.example.com/tide" and shop[0].store_url == ""
    assert shop[1].brand.name == "Tidewear" and shop[1].availability == "live"


@pytest.mark.parametrize(
    "typed", ["javascript:alert(1)", "ftp://shop.example.com/x", "shop.example.com/x", "https://", "https://a b.com"]
)
def test_a_store_link_is_a_whole_http_address(session: Session, typed: str) -> None:
    brand = make_brand(session)
    product = make_product(session, brand)
    fields = rewards_terms.TermsFields(price="10", currency="EUR", royalty_kind="percent", store_url=typed)
    with pytest.raises(Invalid) as raised:
        rewards_terms.set_product_terms(session, product=product, fields=fields)
    assert "store_url" in raised.value.fields
    assert product.store_url == ""


def test_royalties_per_product_come_from_the_ledger(session: Session) -> None:
    brand = make_brand(session)
    designer, partner = make_member_of(session, brand), make_user(session)
    solo = make_live_product(session, brand, designer, price="20.00", royalty_percent="10")
    shared = make_live_product(
        session, brand, partner, splits=f"{partner.handle} 75\n{designer.handle} 25", royalty_percent="20"
    )
    code = rewards_referrals.referral_code_for(session, user=designer, brand=brand).code
    sell(session, brand, solo, order_id="A-1", quantity=3, unit_price="20.00")
    # Their own referral: the same posting pays a commission, which is not a royalty.
    sell(session, brand, solo, order_id="A-2", quantity=1, unit_price="20.00", referral_code=code)
    sell(session, brand, shared, order_id="B-1", quantity=2, unit_price="25.00")
    refunded = sell(session, brand, shared, order_id="B-2", quantity=1, unit_price="25.00")
    rewards_sales.refund_sale(session, sale=_sale(refunded))

    lines = {line.product.id: line for line in rewards_shop.royalties_by_product(session, designer=designer)}

    assert set(lines) == {solo.id, shared.id}
    assert (lines[solo.id].units, lines[solo.id].royalty_minor) == (4, 800)  # 10 % of 4 x 20.00
    assert (lines[shared.id].units, lines[shared.id].royalty_minor) == (2, 250)  # 25 % of 20 % of 2 x 25.00
    assert lines[solo.id].currency == "EUR"
    assert rewards_shop.royalties_by_product(session, designer=make_user(session)) == []


def _sale(result: rewards_sales.SalesResult) -> Sale:
    (sale,) = result.recorded
    return sale


def test_the_portfolio_shows_the_shop_and_only_the_designer_their_royalties(
    client: TestClient, session: Session
) -> None:
    brand = make_brand(session, name="Tidewear")
    designer = make_member_of(session, brand)
    product = make_live_product(session, brand, designer, price="30.00", store_url="https://shop.example.com/tide-tee")
    product.name = "Tide Tee"
    session.add(product)
    sell(session, brand, product, order_id="P-1", quantity=2, unit_price="30.00")

    page = client.get(f"/u/{designer.handle}/designs")
    assert "Tide Tee" in page.text and "€30.00" in page.text
    assert 'href="https://shop.example.com/tide-tee"' in page.text and "Buy" in page.text
    assert "Your royalties per product" not in page.text
    log_in(client, session, make_user(session))
    assert "Your royalties per product" not in client.get(f"/u/{designer.handle}/designs").text
    log_in(client, session, designer)
    own = client.get(f"/u/{designer.handle}/designs").text
    assert "Your royalties per product" in own and "€6.00" in own  # 10 % of 2 x 30.00
    assert client.get("/api/v1/me/royalties").json() == [
        {"product_id": product.id, "product_name": "Tide Tee", "currency": "EUR", "units": 2, "royalty_minor": 600}
    ]
    client.cookies.clear()
    assert client.get("/api/v1/me/royalties").status_code == 401
    assert client.get(f"/api/v1/users/{designer.handle}/shop").json() == [
        {
            "id": product.id,
            "name": "Tide Tee",
            "brand_name": "Tidewear",
            "design_id": None,
            "price_minor": 3000,
            "currency": "EUR",
            "store_url": "https://shop.example.com/tide-tee",
            "availability": "live",
            "preorder_url": "",
        }
    ]


def test_managers_set_the_store_link_on_the_product_page_and_api(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    manager = make_user(session)
    add_staff(session, brand, manager)
    product = make_live_product(session, brand)
    log_in(client, session, manager)
    url = f"/brands/{brand.slug}/rewards/products/{product.id}"
    form = {"price": "25.00", "currency": "EUR", "royalty_kind": "percent", "royalty_percent": "10", "live": "1"}

    refused = client.post(url, data={**form, "store_url": "javascript:alert(1)", "csrftoken": csrf_token(client)})
    assert refused.status_code == 422 and 'value="javascript:alert(1)"' in refused.text
    assert "starting with https://" in refused.text
    saved = client.post(
        url,
        data={**form, "store_url": "https://shop.example.com/rain", "csrftoken": csrf_token(client)},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and product.store_url == "https://shop.example.com/rain"
    assert 'value="https://shop.example.com/rain"' in client.get(url).text

    api = f"/api/v1/brands/{brand.slug}/products/{product.id}/terms"
    body = {"price": "25.00", "currency": "EUR", "live": True, "store_url": "http://shop.example.com/r2"}
    answer = client.put(api, json=body, headers={"x-csrftoken": csrf_token(client)})
    assert answer.status_code == 200 and answer.json()["store_url"] == "http://shop.example.com/r2"
    bad = client.put(
        api, json={**body, "store_url": "mailto:x@example.com"}, headers={"x-csrftoken": csrf_token(client)}
    )
    assert bad.status_code == 422 and bad.json()["detail"]
