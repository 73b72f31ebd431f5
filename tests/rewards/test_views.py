"""Rewards pages: staff pages and their htmx fragments, the upload form's row errors, a member's earnings,
statements, referral link and points."""

from datetime import timedelta
from html.parser import HTMLParser

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import User, UserSession
from app.brands.models import Brand
from app.columns import utcnow
from app.rewards import payouts as rewards_payouts
from app.rewards import points as rewards_points
from app.rewards import referrals as rewards_referrals
from app.rewards import sales as rewards_sales
from app.rewards import terms as rewards_terms
from app.rewards.models import PointsAction, ReferralCode
from tests.factories import PASSWORD, add_staff, csrf_token, log_in, make_brand, make_user
from tests.rewards.factories import build_rewards_world, make_live_product, make_member_of, make_redemption, sell


def _manager(session: Session, client: TestClient) -> tuple[Brand, User]:
    brand = make_brand(session)
    manager = make_user(session)
    add_staff(session, brand, manager)
    log_in(client, session, manager)
    return brand, manager


def test_uploading_a_csv_with_bad_rows_shows_them_and_records_nothing(client: TestClient, session: Session) -> None:
    brand, _ = _manager(session, client)
    product = make_live_product(session, brand)
    content = (
        f"order_id,product_id,quantity,unit_price,currency\nU-1,{product.id},1,25.00,EUR\nU-2,{product.id},x,25,EUR\n"
    )
    response = client.post(
        f"/brands/{brand.slug}/rewards/sales/import",
        files={"file": ("sales.csv", content.encode(), "text/csv")},
        data={"csrftoken": csrf_token(client)},
    )
    assert response.status_code == 422
    assert "Row 3" in response.text and "quantity" in response.text  # the header is row 1
    assert "No sales yet" in response.text


def test_uploading_a_good_csv_records_it(client: TestClient, session: Session) -> None:
    brand, _ = _manager(session, client)
    product = make_live_product(session, brand)
    content = f"order_id,product_id,quantity,unit_price,currency\nU-1,{product.id},2,25.00,EUR\n"
    response = client.post(
        f"/brands/{brand.slug}/rewards/sales/import",
        files={"file": ("sales.csv", content.encode(), "text/csv")},
        data={"csrftoken": csrf_token(client)},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "1 sale line recorded" in response.text and "1 sale lines" not in response.text and "€5.00" in response.text


def test_the_batch_page_answers_htmx_with_its_lines_only(client: TestClient, session: Session) -> None:
    brand, manager = _manager(session, client)
    designer = make_user(session)
    sell(
        session,
        brand,
        make_live_product(session, brand, designer),
        order_id="V-1",
        quantity=20,
        now=utcnow() - timedelta(days=45),
    )
    batch = rewards_payouts.open_batch(session, brand=brand, created_by=manager)
    url = f"/brands/{brand.slug}/rewards/payouts/{batch.id}"
    page = client.get(url)
    assert page.status_code == 200 and "<html" in page.text and f"@{designer.handle}" in page.text
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'id="batch-lines"' in fragment.text
    paid = client.post(f"{url}/paid", data={"csrftoken": csrf_token(client)}, headers={"HX-Request": "true"})
    assert paid.status_code == 200 and "<html" not in paid.text and "paid" in paid.text and "closed" in paid.text


def test_staff_pages_render(client: TestClient, session: Session) -> None:
    brand, _ = _manager(session, client)
    sell(session, brand, make_live_product(session, brand), order_id="Y-1", quantity=3)
    for path in ("", "/sales", "/points", "/payouts", "/liability"):
        response = client.get(f"/brands/{brand.slug}/rewards{path}")
        assert response.status_code == 200, path
    assert "<svg" in client.get(f"/brands/{brand.slug}/rewards").text
    assert client.get(f"/brands/{brand.slug}/rewards/liability?format=csv").text.startswith("handle,email")


def test_bad_settings_re_render_the_form_with_what_was_typed(client: TestClient, session: Session) -> None:
    brand, _ = _manager(session, client)
    response = client.post(
        f"/brands/{brand.slug}/rewards/settings",
        data={
            "csrftoken": csrf_token(client),
            "currency": "EU",
            "commission_percent": "5",
            "payout_threshold": "abc",
            "hold_days": "30",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "<html" not in response.text and 'value="abc"' in response.text and "three-letter" in response.text


def test_a_designer_sees_royalties_a_chart_and_a_printable_statement(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    designer = make_user(session)
    product = make_live_product(session, brand, designer)
    sell(session, brand, product, order_id="Z-1", quantity=2)
    log_in(client, session, designer)
    page = client.get("/me/earnings")
    assert "€5.00" in page.text and "2 x Rain Tee, order Z-1" in page.text and "<svg" in page.text
    now = utcnow()
    month = f"{now.year:04d}-{now.month:02d}"
    statement = client.get(f"/me/statement?brand={brand.slug}&month={month}")
    assert statement.status_code == 200 and "Owed at the end of the month" in statement.text
    csv = client.get(f"/me/statement?brand={brand.slug}&month={month}&format=csv")
    assert csv.headers["content-type"].startswith("text/csv") and "Closing balance,,5.00,EUR" in csv.text
    assert client.get(f"/me/statement?brand={brand.slug}&month=13-2026").status_code == 422


def test_a_referral_link_counts_the_click_and_credits_the_sign_up(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    member = make_member_of(session, brand)
    code = rewards_referrals.referral_code_for(session, user=member, brand=brand)
    response = client.get(f"/r/{code.code}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/signup"
    assert client.get(f"/r/{code.code}", follow_redirects=False).status_code == 303  # a reload: not a second click
    signup = client.post(
        "/signup",
        data={
            "csrftoken": csrf_token(client),
            "email": "friend@example.com",
            "handle": "friend_of_mia",
            "display_name": "Friend",
            "password": "a-long-enough-passphrase-9",
        },
    )
    assert signup.status_code == 200
    session.expire_all()
    found = session.get(ReferralCode, code.id)
    assert found is not None and (found.click_count, found.signup_count) == (1, 1)
    log_in(client, session, member)
    page = client.get("/me/referrals")
    assert f"/r/{code.code}" in page.text and "Sign-ups" in page.text


def test_a_forged_referral_cookie_credits_nobody(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    code = rewards_referrals.referral_code_for(session, user=make_member_of(session, brand), brand=brand)
    client.cookies.set("chorus_referral", code.code)  # unsigned
    client.post(
        "/signup",
        data={
            "csrftoken": csrf_token(client),
            "email": "forger@example.com",
            "handle": "forger",
            "display_name": "F",
            "password": "a-long-enough-passphrase-9",
        },
    )
    session.expire_all()
    found = session.get(ReferralCode, code.id)
    assert found is not None and found.signup_count == 0


def test_redeeming_on_the_points_page(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    member = make_member_of(session, brand)
    rewards_points.set_points_rule(session, brand=brand, action="samples_passed", points="60", daily_cap="1")
    rewards_points.award_points(
        session, user_id=member.id or 0, brand_id=brand.id or 0, action=PointsAction.samples_passed, source_key="s"
    )
    item = rewards_points.add_reward_item(
        session, brand=brand, name="Mug", description="", kind="merchandise", points_cost="50", stock="1"
    )
    log_in(client, session, member)
    assert "60 points" in client.get("/me/points").text
    form = {"csrftoken": csrf_token(client), "item_id": str(item.id), "request_key": "page-1"}
    # A mug is sent by post: without an address nothing is spent, and the form says so beside the mug.
    nowhere = client.post("/me/points/redeem", data={**form, "shipping_address": "  Mia  "})
    assert nowhere.status_code == 422 and "Where should we send it?" in nowhere.text
    assert f'id="address-{item.id}" name="shipping_address"' in nowhere.text and ">  Mia  </textarea>" in nowhere.text
    form["shipping_address"] = "Mia Example\r\n\r\n  12 Harbour   Road \r\nLeith"
    done = client.post("/me/points/redeem", data=form, follow_redirects=True)
    assert "Your code is" in done.text and "10 points" in done.text
    again = client.post("/me/points/redeem", data={**form, "request_key": "page-2"})
    assert again.status_code == 409 and "costs 50 points; you have 10" in again.text


def test_the_liability_page_shows_what_is_owed_in_every_currency(client: TestClient, session: Session) -> None:
    brand, _ = _manager(session, client)
    sell(session, brand, make_live_product(session, brand, make_user(session)), order_id="V-1", quantity=4)
    rewards_terms.update_reward_settings(
        session, brand=brand, currency="USD", commission_percent="5", payout_threshold="20", hold_days="30"
    )
    text = client.get(f"/brands/{brand.slug}/rewards/liability").text
    assert "$0.00 and €10.00" in text and "Owed in EUR: €10.00" in text


def test_the_payouts_page_lets_the_manager_pay_an_older_currency(client: TestClient, session: Session) -> None:
    brand, _ = _manager(session, client)
    sell(
        session, brand, make_live_product(session, brand), order_id="V-1", quantity=4, now=utcnow() - timedelta(days=45)
    )
    rewards_terms.update_reward_settings(
        session, brand=brand, currency="USD", commission_percent="5", payout_threshold="20", hold_days="30"
    )
    url = f"/brands/{brand.slug}/rewards/payouts"
    page = client.get(url).text
    assert '<label for="currency">Pay balances in</label>' in page
    assert "USD (the brand's currency): $0.00 in balances" in page and "EUR (used before): €10.00" in page
    refused = client.post(url, data={"csrftoken": csrf_token(client), "currency": "GBP"})
    assert refused.status_code == 422 and "No member is owed anything in GBP" in refused.text
    assert 'aria-invalid="true"' in refused.text and rewards_payouts.list_batches(session, brand=brand) == []
    opened = client.post(url, data={"csrftoken": csrf_token(client), "currency": "EUR"}, follow_redirects=True)
    assert opened.status_code == 200 and "€10.00" in opened.text
    (batch,) = rewards_payouts.list_batches(session, brand=brand)
    assert batch.currency == "EUR"


def test_a_made_up_currency_re_renders_the_settings_form(client: TestClient, session: Session) -> None:
    brand, _ = _manager(session, client)
    response = client.post(
        f"/brands/{brand.slug}/rewards/settings",
        data={
            "csrftoken": csrf_token(client),
            "currency": "QQQ",
            "commission_percent": "5",
            "payout_threshold": "20",
            "hold_days": "30",
        },
    )
    assert response.status_code == 422 and "not an ISO 4217 currency code" in response.text


def test_the_redemptions_page_lists_them_and_a_manager_marks_one_fulfilled(
    client: TestClient, session: Session
) -> None:
    brand, _ = _manager(session, client)
    member = make_member_of(session, brand)
    redemption = make_redemption(session, brand, member)
    page = client.get(f"/brands/{brand.slug}/rewards/redemptions")
    assert page.status_code == 200 and f"@{member.handle}" in page.text and redemption.code in page.text
    assert "Mark fulfilled" in page.text
    assert "Mia Example<br>12 Harbour Road<br>Leith EH6 6QT" in page.text  # where to send it, for the manager
    done = client.post(
        f"/brands/{brand.slug}/rewards/redemptions/{redemption.id}/fulfilled",
        data={"csrftoken": csrf_token(client)},
        follow_redirects=True,
    )
    assert done.status_code == 200 and "is marked fulfilled" in done.text and "Mark fulfilled" not in done.text


class _MoneyTables(HTMLParser):
    """Every <table> of a page: whether it sits in a ``table-cards`` wrapper (cards on a phone), its column
    headings, and per body row its cells as (tag, colspan, data-label, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[str, list]] = []  # {"cards": [bool], "headings": [...], "rows": [[cell, ...]]}
        self._cards_wrapper = False
        self._section = ""
        self._cell: list | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "div" and "table-cards" in (attributes.get("class") or "").split():
            self._cards_wrapper = True
        elif tag == "table":
            self.tables.append({"cards": [self._cards_wrapper], "headings": [], "rows": []})
            self._cards_wrapper = False
        elif tag in {"thead", "tbody"}:
            self._section = tag
        elif tag == "tr" and self._section == "tbody":
            self.tables[-1]["rows"].append([])
        elif tag in {"th", "td"}:
            self._cell = [tag, int(attributes.get("colspan") or 1), attributes.get("data-label"), ""]
            if self._section == "thead":
                self.tables[-1]["headings"].append(self._cell)
            else:
                self.tables[-1]["rows"][-1].append(self._cell)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"th", "td"}:
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell[3] += data.strip()


def _assert_cards_with_labels(html: str) -> int:
    """Each table of the page is a money table that turns to cards on a phone, and every data cell is labelled
    with its column's heading; the number of body rows checked."""
    parser = _MoneyTables()
    parser.feed(html)
    assert parser.tables, "no table on the page"
    checked = 0
    for table in parser.tables:
        assert table["cards"] == [True], table["headings"]
        headings = [text for _, colspan, _, text in table["headings"] for _ in range(colspan)]
        for row in table["rows"]:
            column = 0
            for tag, colspan, label, _ in row:
                if tag == "td":
                    assert label == headings[column], (headings, row)
                column += colspan
            assert column == len(headings), (headings, row)
            checked += 1
    return checked


def test_every_money_table_labels_its_cells_for_the_phone_cards(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    member, staff = make_member_of(session, brand), make_user(session)
    add_staff(session, brand, staff)
    world = build_rewards_world(session, brand=brand, member=member, staff=staff)
    rewards_points.set_points_rule(session, brand=brand, action="samples_passed", points="5", daily_cap="1")

    log_in(client, session, staff)
    staff_pages = ["", "/sales", "/points", "/redemptions", "/payouts", f"/payouts/{world.batch_id}", "/liability"]
    for path in staff_pages:
        page = client.get(f"/brands/{brand.slug}/rewards{path}")
        assert page.status_code == 200, path
        assert _assert_cards_with_labels(page.text), path
    batch = client.get(f"/brands/{brand.slug}/rewards/payouts/{world.batch_id}").text
    assert '<td class="number" data-label="Amount">€100.00</td>' in batch  # 10 % of 40 x €25.00

    log_in(client, session, member)
    sold = (utcnow() - timedelta(days=60)).strftime("%Y-%m")
    for path in ("/me/earnings", f"/me/statement?brand={brand.slug}&month={sold}", "/me/points"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert _assert_cards_with_labels(page.text), path


def _stale_sign_in(session: Session, user: User) -> None:
    row = session.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    row.authenticated_at = utcnow() - timedelta(minutes=30)
    session.add(row)
    session.flush()


def test_changing_the_money_rules_after_a_stale_sign_in_asks_for_the_password(
    client: TestClient, session: Session
) -> None:
    brand, manager = _manager(session, client)
    assert 'name="current_password_or_code"' not in client.get(f"/brands/{brand.slug}/rewards").text
    _stale_sign_in(session, manager)
    assert 'name="current_password_or_code"' in client.get(f"/brands/{brand.slug}/rewards").text
    rules = {"currency": "USD", "commission_percent": "7", "payout_threshold": "50", "hold_days": "10"}
    for password, message in (("", "Confirm it is you"), ("not-my-password", "not your password")):
        refused = client.post(
            f"/brands/{brand.slug}/rewards/settings",
            data={"csrftoken": csrf_token(client), **rules, "current_password_or_code": password},
            headers={"HX-Request": "true"},
        )
        assert refused.status_code == 403 and message in refused.text
        assert "<html" not in refused.text and 'value="USD"' in refused.text  # the form again, as typed
        assert rewards_terms.get_reward_settings(session, brand=brand).currency == "EUR"

    saved = client.post(
        f"/brands/{brand.slug}/rewards/settings",
        data={"csrftoken": csrf_token(client), **rules, "current_password_or_code": PASSWORD},
    )
    assert saved.status_code == 200 and "The reward settings are saved." in saved.text
    settings = rewards_terms.get_reward_settings(session, brand=brand)
    assert (settings.currency, settings.commission_bp, settings.hold_days) == ("USD", 700, 10)
    # The password counts as a fresh sign-in: the next change needs none.
    assert 'name="current_password_or_code"' not in client.get(f"/brands/{brand.slug}/rewards").text


def test_uploading_a_file_again_skips_what_was_recorded(client: TestClient, session: Session) -> None:
    brand, _ = _manager(session, client)
    product = make_live_product(session, brand)
    content = f"order_id,product_id,quantity,unit_price,currency\nV-1,{product.id},2,25.00,EUR\n".encode()
    for expected in ("1 sale line recorded.", "0 sale lines recorded; 1 was recorded before."):
        response = client.post(
            f"/brands/{brand.slug}/rewards/sales/import",
            files={"file": ("sales.csv", content, "text/csv")},
            data={"csrftoken": csrf_token(client)},
            follow_redirects=True,
        )
        assert response.status_code == 200 and expected in response.text
    assert len(rewards_sales.list_sales(session, brand=brand)) == 1


def test_a_members_rewards_pages_speak_their_language_and_the_csv_stays_machine_readable(
    client: TestClient, session: Session
) -> None:
    brand = make_brand(session)
    designer = make_user(session)
    designer.locale = "de"
    session.add(designer)
    product = make_live_product(session, brand, designer)
    sell(session, brand, product, order_id="Z-1", quantity=2)
    log_in(client, session, designer)
    page = client.get("/me/earnings").text
    assert '<html lang="de">' in page and "Deine Einnahmen" in page and "5,00\u00a0€" in page
    assert "Tantieme oder Provision: 2 x Rain Tee, order Z-1" in page  # the ledger's own words stay as written
    now = utcnow()
    month = f"{now.year:04d}-{now.month:02d}"
    csv = client.get(f"/me/statement?brand={brand.slug}&month={month}&format=csv")
    assert "date,description,kind,amount,currency" in csv.text and "Closing balance,,5.00,EUR" in csv.text
    # Her own setting (German) wins over the browser's Spanish, in the JSON API too.
    refused = client.get(f"/api/v1/me/statement?brand={brand.slug}&month=13-2026", headers={"Accept-Language": "es"})
    assert refused.status_code == 422 and refused.json()["detail"] == "Gib den Monat als JJJJ-MM an, z. B. 2026-11."


def test_staff_pages_and_json_errors_in_spanish(client: TestClient, session: Session) -> None:
    brand, _ = _manager(session, client)
    sell(session, brand, make_live_product(session, brand, make_user(session)), order_id="V-1", quantity=4)
    headers = {"Accept-Language": "es"}
    text = client.get(f"/brands/{brand.slug}/rewards/liability", headers=headers).text
    assert "Adeudado en EUR: 10,00\u00a0€" in text and "Disponible" in text
    refused = client.post(
        f"/api/v1/brands/{brand.slug}/payout-batches",
        json={"currency": "QQQ"},
        headers={**headers, "x-csrftoken": csrf_token(client)},
    )
    assert refused.status_code == 422
    assert refused.json()["detail"] == "QQQ no es un código de moneda ISO 4217; usa uno como EUR, USD o GBP."
