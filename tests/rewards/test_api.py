"""The rewards JSON API through the TestClient: the same services as the pages, with the role checks."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import UserSession
from app.brands.models import StaffRole
from app.columns import utcnow
from app.config import get_settings
from tests.factories import PASSWORD, add_staff, csrf_token, field_errors, log_in, make_brand, make_user
from tests.rewards.factories import ADDRESS, make_live_product, make_member_of, make_product, make_redemption, sell


def _headers(client: TestClient) -> dict[str, str]:
    return {"x-csrftoken": csrf_token(client)}


def test_a_manager_sets_terms_records_sales_and_pays_a_batch(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    manager = make_user(session)
    add_staff(session, brand, manager, StaffRole.manager)
    designer = make_user(session)
    product = make_product(session, brand, designer)
    log_in(client, session, manager)
    base = f"/api/v1/brands/{brand.slug}"

    terms = client.put(
        f"{base}/products/{product.id}/terms",
        json={"price": "30.00", "currency": "EUR", "royalty_kind": "percent", "royalty_percent": "10", "live": True},
        headers=_headers(client),
    )
    assert terms.status_code == 200, terms.text
    assert terms.json()["status"] == "live" and terms.json()["terms"]["royalty_bp"] == 1000

    old = (utcnow() - timedelta(days=40)).isoformat()
    line = {"order_id": "W-1", "product_id": product.id, "quantity": 10, "unit_price": "30.00", "currency": "EUR"}
    recorded = client.post(f"{base}/sales", json={"sales": [{**line, "sold_at": old}]}, headers=_headers(client))
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["recorded"][0]["royalty_minor"] == 3000
    replay = client.post(f"{base}/sales", json={"sales": [{**line, "sold_at": old}]}, headers=_headers(client))
    assert replay.json() == {"recorded": [], "replayed": recorded.json()["recorded"]}
    # Backdated, but held from when it was recorded: nothing to pay until the hold is over (here: set to none).
    assert client.get(f"{base}/liability").json()["rows"][0]["held_minor"] == 3000
    assert client.post(f"{base}/payout-batches", headers=_headers(client)).status_code == 409
    no_hold = {"currency": "EUR", "commission_percent": "5", "payout_threshold": "20", "hold_days": 0}
    assert client.put(f"{base}/rewards/settings", json=no_hold, headers=_headers(client)).status_code == 200
    future = (utcnow() + timedelta(days=2)).isoformat()
    refused = client.post(
        f"{base}/sales", json={"sales": [{**line, "order_id": "W-2", "sold_at": future}]}, headers=_headers(client)
    )
    assert refused.status_code == 422 and "in the future" in field_errors(refused)["row 1"]

    batch = client.post(f"{base}/payout-batches", headers=_headers(client))
    assert batch.status_code == 201, batch.text
    (payout_line,) = batch.json()["lines"]
    assert (payout_line["handle"], payout_line["amount_minor"]) == (designer.handle, 3000)
    exported = client.get(f"{base}/payout-batches/{batch.json()['id']}/export")
    assert exported.headers["content-type"].startswith("text/csv") and "30.00,EUR" in exported.text
    paid = client.post(f"{base}/payout-batches/{batch.json()['id']}/paid", json={}, headers=_headers(client))
    assert paid.json()["status"] == "closed" and paid.json()["lines"][0]["status"] == "paid"
    assert client.get(f"{base}/liability").json()["total_minor"] == 0

    log_in(client, session, designer)
    earnings = client.get("/api/v1/me/earnings").json()
    assert earnings["payouts"][0]["status"] == "paid"
    assert earnings["balances"][0]["paid_minor"] == 3000
    assert earnings["lines"][0]["kind"] == "payout_paid"


def test_bad_sale_lines_are_refused_with_each_rows_problem(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    manager = make_user(session)
    add_staff(session, brand, manager)
    product = make_live_product(session, brand)
    log_in(client, session, manager)
    good = {"order_id": "X-1", "product_id": product.id, "quantity": 1, "unit_price": "25.00", "currency": "EUR"}
    response = client.post(
        f"/api/v1/brands/{brand.slug}/sales",
        json={
            "sales": [
                good,
                {**good, "order_id": "X-2", "quantity": -3},
                {**good, "order_id": "X-3", "unit_price": "2.5.0"},
            ]
        },
        headers=_headers(client),
    )
    assert response.status_code == 422
    body = response.json()
    assert "nothing was recorded" in body["detail"]
    assert set(field_errors(response)) == {"row 2", "row 3"}
    assert client.get(f"/api/v1/brands/{brand.slug}/sales").json() == []


def test_the_sales_api_is_rate_limited(client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "sales_import_rate_per_account", "2/minute")
    brand = make_brand(session)
    manager = make_user(session)
    add_staff(session, brand, manager)
    product = make_live_product(session, brand)
    log_in(client, session, manager)
    line = {"product_id": product.id, "quantity": 1, "unit_price": "25.00", "currency": "EUR"}
    codes = [
        client.post(
            f"/api/v1/brands/{brand.slug}/sales",
            json={"sales": [{**line, "order_id": f"R-{n}"}]},
            headers=_headers(client),
        ).status_code
        for n in range(3)
    ]
    assert codes == [200, 200, 429]


def test_members_see_only_their_own_money_and_other_staff_get_404(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    designer = make_user(session)
    sell(session, brand, make_live_product(session, brand, designer), order_id="P-1", quantity=2)
    other_manager = make_user(session)
    add_staff(session, make_brand(session), other_manager)
    analyst = make_user(session)
    add_staff(session, brand, analyst, StaffRole.analyst)

    log_in(client, session, other_manager)
    for path in ("liability", "sales", "payout-batches", "products"):
        assert client.get(f"/api/v1/brands/{brand.slug}/{path}").status_code == 404
    assert client.get("/api/v1/me/earnings").json()["balances"] == []

    log_in(client, session, designer)
    assert client.get(f"/api/v1/brands/{brand.slug}/liability").status_code == 404
    assert client.get("/api/v1/me/earnings").json()["balances"][0]["held_minor"] == 500

    log_in(client, session, analyst)
    assert client.get(f"/api/v1/brands/{brand.slug}/liability").status_code == 200
    assert client.post(f"/api/v1/brands/{brand.slug}/payout-batches", headers=_headers(client)).status_code == 403


def test_a_redemption_needs_an_idempotency_key_and_a_retry_returns_the_same_code(
    client: TestClient, session: Session
) -> None:
    from app.rewards import points as rewards_points
    from app.rewards.models import PointsAction

    brand = make_brand(session)
    member = make_member_of(session, brand)
    rewards_points.set_points_rule(session, brand=brand, action="survey_answered", points="80", daily_cap="1")
    rewards_points.award_points(
        session, user_id=member.id or 0, brand_id=brand.id or 0, action=PointsAction.survey_answered, source_key="s"
    )
    item = rewards_points.add_reward_item(
        session, brand=brand, name="Cap", description="", kind="merchandise", points_cost="50", stock="5"
    )
    log_in(client, session, member)
    missing = client.post("/api/v1/me/redemptions", json={"item_id": item.id}, headers=_headers(client))
    assert missing.status_code == 422
    headers = {**_headers(client), "Idempotency-Key": "k-1"}
    first = client.post(
        "/api/v1/me/redemptions", json={"item_id": item.id, "shipping_address": ADDRESS}, headers=headers
    )
    again = client.post(
        "/api/v1/me/redemptions", json={"item_id": item.id, "shipping_address": ADDRESS}, headers=headers
    )
    assert first.status_code == again.status_code == 201
    assert first.json()["code"] == again.json()["code"]
    other = client.post(
        "/api/v1/me/redemptions",
        json={"item_id": item.id, "shipping_address": ADDRESS},
        headers={**headers, "Idempotency-Key": "k-2"},
    )
    assert other.status_code == 409 and "you have 30" in other.json()["detail"]
    assert client.get("/api/v1/me/points").json()[0]["balance"] == 30


def test_referral_codes_through_the_api(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    member = make_member_of(session, brand)
    log_in(client, session, member)
    made = client.post("/api/v1/me/referrals", json={"brand_slug": brand.slug}, headers=_headers(client))
    assert made.status_code == 201
    (referral,) = made.json()
    assert referral["link"].endswith(f"/r/{referral['code']}") and referral["clicks"] == 0
    stranger = make_brand(session)
    refused = client.post("/api/v1/me/referrals", json={"brand_slug": stranger.slug}, headers=_headers(client))
    assert refused.status_code == 404


def test_a_batch_is_opened_per_currency_through_the_api(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    manager = make_user(session)
    add_staff(session, brand, manager, StaffRole.manager)
    old = utcnow() - timedelta(days=45)
    sell(session, brand, make_live_product(session, brand), order_id="E-1", quantity=4, now=old)  # 10.00 EUR
    log_in(client, session, manager)
    base = f"/api/v1/brands/{brand.slug}"
    to_usd = {"currency": "USD", "commission_percent": "5", "payout_threshold": "20", "hold_days": 30}
    assert client.put(f"{base}/rewards/settings", json=to_usd, headers=_headers(client)).status_code == 200
    assert client.get(f"{base}/payout-currencies").json() == [
        {"currency": "USD", "current": True, "balance_minor": 0},
        {"currency": "EUR", "current": False, "balance_minor": 1000},
    ]
    nothing = client.post(f"{base}/payout-batches", headers=_headers(client))
    assert nothing.status_code == 409 and "nothing to pay" in nothing.json()["detail"]
    unknown = client.post(f"{base}/payout-batches", json={"currency": "JPY"}, headers=_headers(client))
    assert unknown.status_code == 422 and "JPY" in unknown.json()["detail"]
    euros = client.post(f"{base}/payout-batches", json={"currency": "EUR"}, headers=_headers(client))
    assert euros.status_code == 201, euros.text
    assert euros.json()["currency"] == "EUR" and [line["amount_minor"] for line in euros.json()["lines"]] == [1000]


def test_a_products_currency_cannot_change_once_sold(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    manager = make_user(session)
    add_staff(session, brand, manager)
    product = make_live_product(session, brand)
    sell(session, brand, product, order_id="CUR-1")
    log_in(client, session, manager)
    body = {"price": "30.00", "currency": "USD", "royalty_kind": "percent", "royalty_percent": "10", "live": True}
    response = client.put(
        f"/api/v1/brands/{brand.slug}/products/{product.id}/terms", json=body, headers=_headers(client)
    )
    assert response.status_code == 422
    assert "has sales in EUR" in response.json()["detail"]
    made_up = client.put(
        f"/api/v1/brands/{brand.slug}/rewards/settings",
        json={"currency": "QQQ", "commission_percent": "5", "payout_threshold": "20", "hold_days": 30},
        headers=_headers(client),
    )
    assert made_up.status_code == 422 and "ISO 4217" in made_up.text


def test_staff_see_redemptions_and_managers_mark_them_fulfilled(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    analyst, manager = make_user(session), make_user(session)
    add_staff(session, brand, analyst, StaffRole.analyst)
    add_staff(session, brand, manager, StaffRole.manager)
    member = make_member_of(session, brand)
    redemption = make_redemption(session, brand, member)
    base = f"/api/v1/brands/{brand.slug}/redemptions"
    log_in(client, session, analyst)
    (listed,) = client.get(base).json()
    assert (listed["handle"], listed["reward"], listed["status"]) == (member.handle, "Tote bag", "to fulfil")
    assert listed["shipping_address"] is None  # addresses are for the managers who send things
    assert client.post(f"{base}/{redemption.id}/fulfilled", headers=_headers(client)).status_code == 403
    log_in(client, session, manager)
    assert client.get(base).json()[0]["shipping_address"] == ADDRESS
    done = client.post(f"{base}/{redemption.id}/fulfilled", headers=_headers(client))
    assert done.status_code == 200 and done.json()["status"] == "fulfilled"
    again = client.post(f"{base}/{redemption.id}/fulfilled", headers=_headers(client))
    assert again.status_code == 409 and "fulfilled already" in again.json()["detail"]


def test_changing_the_money_rules_needs_a_recent_sign_in_or_the_password(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    manager = make_user(session)
    add_staff(session, brand, manager, StaffRole.manager)
    log_in(client, session, manager)
    row = session.exec(select(UserSession).where(UserSession.user_id == manager.id)).one()
    row.authenticated_at = utcnow() - timedelta(minutes=11)
    session.add(row)
    session.flush()
    url = f"/api/v1/brands/{brand.slug}/rewards/settings"
    rules = {"currency": "USD", "commission_percent": "7", "payout_threshold": "50", "hold_days": 10}

    missing = client.put(url, json=rules, headers=_headers(client))
    assert missing.status_code == 403 and "current_password_or_code" in field_errors(missing)
    wrong = client.put(url, json={**rules, "current_password_or_code": "nope"}, headers=_headers(client))
    assert wrong.status_code == 403 and "not your password" in field_errors(wrong)["current_password_or_code"]
    assert client.get(url).json()["currency"] == "EUR"

    saved = client.put(url, json={**rules, "current_password_or_code": PASSWORD}, headers=_headers(client))
    assert saved.status_code == 200, saved.text
    assert (saved.json()["currency"], saved.json()["commission_bp"]) == ("USD", 700)


def test_a_sales_file_is_imported_in_batches_and_counted(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    manager = make_user(session)
    add_staff(session, brand, manager, StaffRole.manager)
    product = make_live_product(session, brand)
    log_in(client, session, manager)
    url = f"/api/v1/brands/{brand.slug}/sales/imports"
    rows = "".join(f"F-{number},{product.id},1,25.00,EUR\n" for number in range(120))
    content = ("order_id,product_id,quantity,unit_price,currency\n" + rows).encode()

    first = client.post(url, files={"file": ("sales.csv", content, "text/csv")}, headers=_headers(client))
    assert first.status_code == 200, first.text
    assert first.json() == {"rows": 120, "recorded": 120, "recorded_before": 0, "batches": 12}  # 10 lines each
    again = client.post(url, files={"file": ("sales.csv", content, "text/csv")}, headers=_headers(client))
    assert again.json() == {"rows": 120, "recorded": 0, "recorded_before": 120, "batches": 0}

    bad = content + f"F-bad,{product.id},0,25.00,EUR\n".encode()
    refused = client.post(url, files={"file": ("sales.csv", bad, "text/csv")}, headers=_headers(client))
    assert refused.status_code == 422 and "quantity" in field_errors(refused)["row 122"]
