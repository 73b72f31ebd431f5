"""Rewards use cases: product terms and splits, sales import and refunds, referrals, points and redemptions,
payout batches, statements and the liability report."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from app.accounts import signup as accounts_signup
from app.accounts.models import User
from app.brands.models import Brand
from app.challenges import designs as challenge_designs
from app.challenges import scores as challenge_scores
from app.columns import id_of, utcnow
from app.errors import Conflict, Invalid, NotFound
from app.ledger import service as ledger_service
from app.ledger.models import AccountKind, LedgerTransaction
from app.notifications.models import Notification, NotificationKind
from app.rewards import payouts as rewards_payouts
from app.rewards import points as rewards_points
from app.rewards import referrals as rewards_referrals
from app.rewards import sales as rewards_sales
from app.rewards import sales_import
from app.rewards import statements as rewards_statements
from app.rewards import terms as rewards_terms
from app.rewards.models import LineStatus, PointsAction, PointsAward, Sale, SaleSource
from tests.databases import TestTransactions
from tests.factories import add_member, make_brand, make_challenge, make_community, make_design, make_user, png_bytes
from tests.rewards.factories import ADDRESS, make_live_product, make_member_of, make_product, make_redemption, sell

OLD = timedelta(days=45)


def _csv(*rows: str) -> bytes:
    return ("order_id,product_id,quantity,unit_price,currency,referral_code\n" + "\n".join(rows) + "\n").encode()


def _import(session: Session, brand: Brand, content: bytes) -> sales_import.SalesImport:
    return sales_import.import_sales_csv(
        TestTransactions(session), brand_id=id_of(brand), actor_id=id_of(make_user(session)), content=content
    )


def _kinds(session: Session, user_id: int | None) -> list[NotificationKind]:
    return [n.kind for n in session.exec(select(Notification).where(Notification.user_id == user_id))]


# --- Terms and royalties -------------------------------------------------------------------------------------------


def test_a_percentage_royalty_is_rounded_half_even_per_line_and_the_designer_is_told(session: Session) -> None:
    brand = make_brand(session)
    designer = make_user(session)
    product = make_live_product(session, brand, designer, royalty_percent="12.5")
    # 3 x 3.35 = 10.05 net; 12.5 % is 1.25625 -> 1.26
    (sale,) = sell(session, brand, product, order_id="1", quantity=3, unit_price="3.35").recorded
    assert (sale.net_minor, sale.royalty_minor, sale.commission_minor) == (1005, 126, 0)
    assert NotificationKind.royalty_earned in _kinds(session, designer.id)


def test_a_fixed_royalty_has_its_minimum_per_unit(session: Session) -> None:
    brand = make_brand(session)
    product = make_live_product(session, brand, royalty_kind="fixed", royalty_fixed="0.50", royalty_min="0.75")
    (sale,) = sell(session, brand, product, order_id="1", quantity=4).recorded
    assert sale.royalty_minor == 300


def test_co_designers_share_a_royalty_and_the_lead_gets_the_remainder(session: Session) -> None:
    brand = make_brand(session)
    lead, second = make_user(session), make_user(session)
    product = make_live_product(
        session,
        brand,
        lead,
        royalty_kind="fixed",
        royalty_fixed="0.01",
        splits=f"{lead.handle} 60\n@{second.handle} 40",
    )
    (sale,) = sell(session, brand, product, order_id="1", quantity=3).recorded  # 3 cents: 1.8 and 1.2
    transaction = session.get(LedgerTransaction, sale.transaction_id)
    assert transaction is not None
    credits = {a.user_id: x for a, x in ledger_service.entries_of(session, transaction=transaction) if x > 0}
    assert credits == {lead.id: 2, second.id: 1}


@pytest.mark.parametrize(
    ("splits", "message"),
    [
        ("a 50\nb 40", "add up to"),
        ("nobody_here 100", "nobody"),
        ("a 0\nb 100", "0 %"),
        ("a 50 extra", "one co-designer"),
    ],
)
def test_splits_must_name_people_and_add_up_to_100(session: Session, splits: str, message: str) -> None:
    make_user(session, handle="a")
    make_user(session, handle="b")
    product = make_product(session, make_brand(session))
    fields = rewards_terms.TermsFields(price="10", currency="EUR", royalty_kind="percent", splits=splits, live=True)
    with pytest.raises(Invalid) as refused:
        rewards_terms.set_product_terms(session, product=product, fields=fields)
    assert message in refused.value.fields["splits"]


def test_terms_with_bad_fields_report_each_of_them(session: Session) -> None:
    product = make_product(session, make_brand(session))
    fields = rewards_terms.TermsFields(
        price="12.345", currency="EURO", royalty_kind="shares", royalty_percent="120", live=True
    )
    with pytest.raises(Invalid) as refused:
        rewards_terms.set_product_terms(session, product=product, fields=fields)
    assert set(refused.value.fields) == {"price", "currency", "royalty_kind", "royalty_percent"}
    assert product.status == "draft"


# --- Sales: CSV import, replays and refunds ---------------------------------------------------------------------


def test_a_csv_with_bad_rows_records_nothing_and_names_each_row(session: Session) -> None:
    brand = make_brand(session)
    product = make_live_product(session, brand)
    draft = make_product(session, brand)
    other = make_live_product(session, make_brand(session))
    content = _csv(
        f"A-1,{product.id},2,25.00,EUR,",
        f"A-2,{product.id},0,25.00,EUR,",
        f"A-3,{product.id},1,25.001,EUR,",
        f"A-4,{draft.id},1,25.00,EUR,",
        f"A-5,{other.id},1,25.00,EUR,",
        f"A-6,{product.id},1,25.00,USD,",
        f"A-7,{product.id},1,25.00,EUR,NOSUCHCODE",
        f",{product.id},1,25.00,EUR,",
        f"A-1,{product.id},3,25.00,EUR,",
    )
    with pytest.raises(rewards_sales.SalesRejected) as refused:
        _import(session, brand, content)
    # Rows as the spreadsheet numbers them: the header is row 1, A-1 row 2.
    assert set(refused.value.fields) == {f"row {n}" for n in range(3, 11)}
    assert "quantity" in refused.value.fields["row 3"]
    assert "decimal places" in refused.value.fields["row 4"]
    assert "not live" in refused.value.fields["row 5"]
    assert "no product" in refused.value.fields["row 6"]
    assert "sold in EUR" in refused.value.fields["row 7"]
    assert "referral" in refused.value.fields["row 8"]
    assert "twice" in refused.value.fields["row 10"]
    assert session.exec(select(Sale)).all() == []


def test_a_line_recorded_before_with_other_figures_is_named_by_its_row(session: Session) -> None:
    brand = make_brand(session)
    product = make_live_product(session, brand)
    _import(session, brand, _csv(f"B-1,{product.id},2,25.00,EUR,"))
    changed = _csv(f"B-2,{product.id},1,25.00,EUR,", f"B-1,{product.id},3,25.00,EUR,")
    with pytest.raises(rewards_sales.SalesRejected) as refused:
        _import(session, brand, changed)
    assert list(refused.value.fields) == ["row 3"]
    assert "recorded before with another quantity or price" in refused.value.fields["row 3"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00", "UTF-8"),
        (b"order,qty\n1,2\n", "missing"),
        (b"order_id,product_id,quantity,unit_price,currency\n", "no sales"),
    ],
)
def test_unreadable_files_are_refused_clearly(session: Session, content: bytes, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        _import(session, make_brand(session), content)


def test_a_file_sent_twice_records_its_sales_once(session: Session) -> None:
    brand = make_brand(session)
    designer = make_user(session)
    product = make_live_product(session, brand, designer)
    content = _csv(f"B-1,{product.id},2,25.00,EUR,", f"B-2,{product.id},1,25.00,EUR,")
    first = _import(session, brand, content)
    again = _import(session, brand, content)
    assert (first.recorded, again.recorded, again.recorded_before, again.batches) == (2, 0, 2, 0)
    earnings = rewards_statements.member_earnings(session, user=designer)
    assert earnings.balances[0].held_minor == 750  # 10 % of 75.00, all inside the holding period


def test_the_same_order_with_other_figures_is_refused(session: Session) -> None:
    brand = make_brand(session)
    product = make_live_product(session, brand)
    sell(session, brand, product, order_id="C-1", quantity=2)
    with pytest.raises(rewards_sales.SalesRejected, match="nothing was recorded"):
        sell(session, brand, product, order_id="C-1", quantity=5)


def test_a_refund_reverses_royalty_and_commission_once(session: Session) -> None:
    brand = make_brand(session)
    designer = make_user(session)
    referrer = make_member_of(session, brand)
    product = make_live_product(session, brand, designer)
    code = rewards_referrals.referral_code_for(session, user=referrer, brand=brand)
    (sale,) = sell(session, brand, product, order_id="D-1", quantity=4, referral_code=code.code).recorded
    assert (sale.royalty_minor, sale.commission_minor) == (1000, 500)  # 10 % and the default 5 % of 100.00
    rewards_sales.refund_sale(session, sale=sale)
    for person in (designer, referrer):
        account = ledger_service.find_account(
            session,
            brand_id=brand.id or 0,
            user_id=person.id,
            kind=AccountKind.earnings,
            currency="EUR",
        )
        assert account is not None and ledger_service.balance(session, account=account) == 0
    with pytest.raises(Conflict, match="refunded already"):
        rewards_sales.refund_sale(session, sale=sale)
    assert ledger_service.accounts_out_of_balance(session) == []


# --- Referrals ------------------------------------------------------------------------------------------------------


def test_the_referral_funnel_counts_clicks_sign_ups_purchases_and_earnings(session: Session) -> None:
    brand = make_brand(session)
    referrer = make_member_of(session, brand)
    rewards_points.set_points_rule(session, brand=brand, action="referral_converted", points="25", daily_cap="10")
    code = rewards_referrals.referral_code_for(session, user=referrer, brand=brand)
    assert rewards_referrals.referral_code_for(session, user=referrer, brand=brand).id == code.id
    for visitor in ("198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.3"):
        rewards_referrals.record_click(session, code=code.code.lower(), visitor=visitor)  # the repeat is not counted
    assert rewards_referrals.record_click(session, code="NOPE", visitor="198.51.100.1") is None
    newcomer = accounts_signup.sign_up(
        session,
        email="new@example.com",
        handle="newcomer",
        password="a-long-enough-passphrase-9",
        client_ip="203.0.113.9",
        referral_code=code.code,
    )
    assert rewards_referrals.attribute_signup(session, user=newcomer, code=code.code) is None  # once per account
    product = make_live_product(session, brand)
    sell(session, brand, product, order_id="E-1", quantity=2, referral_code=code.code)
    (funnel,) = rewards_referrals.referral_funnels(session, user=referrer)
    assert (funnel.clicks, funnel.signups, funnel.purchases, funnel.earnings) == (3, 1, 1, {"EUR": 250})
    assert rewards_points.points_balance(session, user=referrer, brand_id=brand.id or 0) == 25
    assert NotificationKind.commission_earned in _kinds(session, referrer.id)


def test_only_members_of_a_brands_communities_get_its_referral_code(session: Session) -> None:
    with pytest.raises(NotFound):
        rewards_referrals.referral_code_for(session, user=make_user(session), brand=make_brand(session))


# --- Points and redemptions -------------------------------------------------------------------------------------


def test_points_need_a_rule_are_given_once_per_thing_and_capped_per_day(session: Session) -> None:
    brand = make_brand(session)
    member = make_member_of(session, brand)
    award = {"user_id": member.id or 0, "brand_id": brand.id or 0, "action": PointsAction.survey_answered}
    assert rewards_points.award_points(session, source_key="survey:1", **award) is None  # no rule yet
    rewards_points.set_points_rule(session, brand=brand, action="survey_answered", points="10", daily_cap="2")
    first = rewards_points.award_points(session, source_key="survey:1", **award)
    assert first is not None
    assert rewards_points.award_points(session, source_key="survey:1", **award) == first  # the same thing
    assert rewards_points.award_points(session, source_key="survey:2", **award) is not None
    assert rewards_points.award_points(session, source_key="survey:3", **award) is None  # the cap
    tomorrow = utcnow() + timedelta(days=1)
    assert rewards_points.award_points(session, source_key="survey:3", now=tomorrow, **award) is not None
    assert rewards_points.points_balance(session, user=member, brand_id=brand.id or 0) == 30


def test_submitting_and_first_scores_earn_points_where_the_brand_has_rules(session: Session) -> None:
    brand = make_brand(session)
    community = make_community(session, brand)
    designer, voter = make_user(session), make_user(session)
    add_member(session, community, designer)
    add_member(session, community, voter)
    rewards_points.set_points_rule(session, brand=brand, action="design_submitted", points="50", daily_cap="3")
    rewards_points.set_points_rule(session, brand=brand, action="first_score", points="2", daily_cap="100")
    open_challenge = make_challenge(session, community, phase="submissions_open")
    challenge_designs.submit_design(
        session, challenge=open_challenge, designer=designer, upload=io.BytesIO(png_bytes(401)), title="Waves"
    )
    assert rewards_points.points_balance(session, user=designer, brand_id=brand.id or 0) == 50
    scoring = make_challenge(session, community, phase="scoring")
    design = make_design(session, scoring, designer)
    challenge_scores.cast_score(session, voter=voter, design=design, value=4, would_buy=False)
    challenge_scores.cast_score(session, voter=voter, design=design, value=5, would_buy=True)  # a change
    assert rewards_points.points_balance(session, user=voter, brand_id=brand.id or 0) == 2
    awards = session.exec(select(PointsAward).where(PointsAward.user_id == voter.id)).all()
    assert [award.source_key for award in awards] == [f"score:{design.id}"]


def _spender(session: Session, points: int) -> tuple[Brand, User]:
    brand = make_brand(session)
    member = make_member_of(session, brand)
    rewards_points.set_points_rule(session, brand=brand, action="samples_passed", points=str(points), daily_cap="5")
    rewards_points.award_points(
        session, user_id=member.id or 0, brand_id=brand.id or 0, action=PointsAction.samples_passed, source_key="k"
    )
    return brand, member


def test_a_redemption_spends_points_takes_stock_and_issues_a_code(session: Session) -> None:
    brand, member = _spender(session, 120)
    item = rewards_points.add_reward_item(
        session, brand=brand, name="10 % off", description="", kind="discount_code", points_cost="100", stock="1"
    )
    redemption = rewards_points.redeem(
        session, user=member, item_id=item.id or 0, request_key="form-1", shipping_address="not needed\nfor a code"
    )
    assert len(redemption.code) == 14 and redemption.points == 100
    assert redemption.shipping_address == ""  # a discount code goes by e-mail: no address is kept
    assert rewards_points.redeem(session, user=member, item_id=item.id or 0, request_key="form-1") == redemption
    assert rewards_points.points_balance(session, user=member, brand_id=brand.id or 0) == 20
    assert item.stock == 0
    assert NotificationKind.redemption_code in _kinds(session, member.id)


def test_merchandise_needs_somewhere_to_go_and_keeps_the_address_tidy(session: Session) -> None:
    brand, member = _spender(session, 120)
    tote = rewards_points.add_reward_item(
        session, brand=brand, name="Tote", description="", kind="merchandise", points_cost="100", stock="1"
    )
    for nowhere in ("", "Mia", "x" * 600 + "\nsomewhere"):
        with pytest.raises(Invalid) as refused:
            rewards_points.redeem(session, user=member, item_id=tote.id or 0, request_key="t", shipping_address=nowhere)
        assert set(refused.value.fields) == {"shipping_address"}
    assert rewards_points.points_balance(session, user=member, brand_id=brand.id or 0) == 120 and tote.stock == 1
    redemption = rewards_points.redeem(
        session, user=member, item_id=tote.id or 0, request_key="t", shipping_address=" Mia  Example \r\n\r\n 12 Road\n"
    )
    assert redemption.shipping_address == "Mia Example\n12 Road"


def test_redemptions_are_refused_without_points_stock_or_membership(session: Session) -> None:
    brand, member = _spender(session, 50)
    pricey = rewards_points.add_reward_item(
        session, brand=brand, name="Hoodie", description="", kind="merchandise", points_cost="500", stock="3"
    )
    with pytest.raises(Conflict, match="costs 500 points; you have 50"):
        rewards_points.redeem(session, user=member, item_id=pricey.id or 0, request_key="a", shipping_address=ADDRESS)
    gone = rewards_points.add_reward_item(
        session, brand=brand, name="Sticker", description="", kind="merchandise", points_cost="10", stock="0"
    )
    with pytest.raises(Conflict, match="out of stock"):
        rewards_points.redeem(session, user=member, item_id=gone.id or 0, request_key="b", shipping_address=ADDRESS)
    with pytest.raises(NotFound):
        rewards_points.redeem(
            session, user=make_user(session), item_id=gone.id or 0, request_key="c", shipping_address=ADDRESS
        )
    assert rewards_points.points_balance(session, user=member, brand_id=brand.id or 0) == 50


# --- Payouts ------------------------------------------------------------------------------------------------------


def test_a_batch_pays_balances_over_the_threshold_outside_the_holding_period(session: Session) -> None:
    brand = make_brand(session)
    old_hand, newcomer, small = make_user(session), make_user(session), make_user(session)
    for number, (person, quantity, age) in enumerate(
        [(old_hand, 20, OLD), (newcomer, 20, timedelta(days=2)), (small, 4, OLD)]
    ):
        product = make_live_product(session, brand, person)
        sell(session, brand, product, order_id=f"F-{number}", quantity=quantity, now=utcnow() - age)
    manager = make_user(session)
    batch = rewards_payouts.open_batch(session, brand=brand, created_by=manager)
    recipients = rewards_payouts.batch_recipients(session, batch=batch)
    assert [(r.user.id, r.line.amount_minor) for r in recipients] == [(old_hand.id, 5000)]
    with pytest.raises(Conflict, match="open already"):
        rewards_payouts.open_batch(session, brand=brand, created_by=manager)
    exported = rewards_payouts.export_batch(session, batch=batch).content.decode()
    assert f"{old_hand.email},{old_hand.display_name},50.00,EUR,chorus-payout-{batch.id}-" in exported
    rewards_payouts.mark_paid(session, batch=batch, line_id=recipients[0].line.id, reference="SEPA-1")
    assert batch.status == "closed"
    assert NotificationKind.payout_paid in _kinds(session, old_hand.id)
    earnings = rewards_statements.member_earnings(session, user=old_hand)
    assert (earnings.balances[0].available_minor, earnings.balances[0].paid_minor) == (0, 5000)
    assert earnings.payouts[0][0].status == LineStatus.paid


def test_a_failed_line_returns_its_money_and_the_next_batch_pays_it(session: Session) -> None:
    brand = make_brand(session)
    designer, manager = make_user(session), make_user(session)
    sell(session, brand, make_live_product(session, brand, designer), order_id="G-1", quantity=20, now=utcnow() - OLD)
    batch = rewards_payouts.open_batch(session, brand=brand, created_by=manager)
    (recipient,) = rewards_payouts.batch_recipients(session, batch=batch)
    with pytest.raises(Invalid):
        rewards_payouts.mark_failed(session, batch=batch, line_id=recipient.line.id or 0, reason=" ")
    rewards_payouts.mark_failed(session, batch=batch, line_id=recipient.line.id or 0, reason="IBAN closed")
    with pytest.raises(Conflict, match="not pending"):
        rewards_payouts.mark_paid(session, batch=batch, line_id=recipient.line.id)
    assert NotificationKind.payout_failed in _kinds(session, designer.id)
    retry = rewards_payouts.open_batch(session, brand=brand, created_by=manager)
    assert [r.line.amount_minor for r in rewards_payouts.batch_recipients(session, batch=retry)] == [5000]


def test_nothing_to_pay_opens_no_batch(session: Session) -> None:
    with pytest.raises(Conflict, match="nothing to pay"):
        rewards_payouts.open_batch(session, brand=make_brand(session), created_by=make_user(session))


def _owed_in_euros_then_dollars(session: Session) -> tuple[Brand, object, object]:
    """A brand that paid royalties in EUR (10.00 to one designer, under the 20.00 threshold), then moved to USD
    (50.00 to another)."""
    brand = make_brand(session)
    euro_designer, dollar_designer = make_user(session), make_user(session)
    sell(
        session, brand, make_live_product(session, brand, euro_designer), order_id="C-1", quantity=4, now=utcnow() - OLD
    )
    rewards_terms.update_reward_settings(
        session, brand=brand, currency="USD", commission_percent="5", payout_threshold="20", hold_days="30"
    )
    dollars = make_live_product(session, brand, dollar_designer, currency="USD")
    sell(session, brand, dollars, order_id="C-2", quantity=20, currency="USD", now=utcnow() - OLD)
    return brand, euro_designer, dollar_designer


def test_money_owed_in_an_older_currency_is_paid_in_a_batch_of_its_own(session: Session) -> None:
    brand, euro_designer, dollar_designer = _owed_in_euros_then_dollars(session)
    manager = make_user(session)
    choices = rewards_payouts.payout_currencies(session, brand=brand)
    assert [(c.currency, c.current, c.balance_minor) for c in choices] == [("USD", True, 5000), ("EUR", False, 1000)]

    dollars = rewards_payouts.open_batch(session, brand=brand, created_by=manager)
    assert dollars.currency == "USD"
    lines = rewards_payouts.batch_recipients(session, batch=dollars)
    assert [(r.user.id, r.line.amount_minor) for r in lines] == [(dollar_designer.id, 5000)]
    # Both batches may be open at once, one per currency; the older currency pays balances under the threshold.
    euros = rewards_payouts.open_batch(session, brand=brand, created_by=manager, currency="eur")
    assert (euros.currency, euros.threshold_minor) == ("EUR", 0)
    (euro_line,) = rewards_payouts.batch_recipients(session, batch=euros)
    assert (euro_line.user.id, euro_line.line.amount_minor) == (euro_designer.id, 1000)
    assert "10.00,EUR" in rewards_payouts.export_batch(session, batch=euros).content.decode()
    with pytest.raises(Conflict, match="open already"):
        rewards_payouts.open_batch(session, brand=brand, created_by=manager, currency="EUR")

    rewards_payouts.mark_paid(session, batch=euros, line_id=euro_line.line.id, reference="SEPA-9")
    assert rewards_statements.liability_report(session, brand=brand).totals == {"USD": 5000}  # EUR settled
    # Every posting balances within each currency, and every cached balance matches its entries.
    assert all(total == 0 for _, _, total in ledger_service.transaction_sums(session, brand_id=brand.id))
    assert ledger_service.accounts_out_of_balance(session, brand_id=brand.id) == []
    # Once the euros are paid, only the brand's currency is left to choose.
    assert [c.currency for c in rewards_payouts.payout_currencies(session, brand=brand)] == ["USD"]


@pytest.mark.parametrize(
    ("currency", "message"), [("GBP", "No member is owed anything in GBP"), ("EU", "three-letter")]
)
def test_a_batch_in_a_currency_nobody_is_owed_in_is_refused(session: Session, currency: str, message: str) -> None:
    brand, _, _ = _owed_in_euros_then_dollars(session)
    with pytest.raises(Invalid, match=message) as refused:
        rewards_payouts.open_batch(session, brand=brand, created_by=make_user(session), currency=currency)
    assert "currency" in refused.value.fields
    assert rewards_payouts.list_batches(session, brand=brand) == []


def test_export_neutralises_spreadsheet_formulas(session: Session) -> None:
    brand = make_brand(session)
    sneaky = make_user(session, display_name="=HYPERLINK(1)")
    sell(session, brand, make_live_product(session, brand, sneaky), order_id="H", quantity=20, now=utcnow() - OLD)
    batch = rewards_payouts.open_batch(session, brand=brand, created_by=make_user(session))
    assert "'=HYPERLINK(1)" in rewards_payouts.export_batch(session, batch=batch).content.decode()


# --- Statements and liability ---------------------------------------------------------------------------------


def test_a_monthly_statement_runs_from_opening_to_closing_balance(session: Session) -> None:
    brand = make_brand(session)
    designer = make_user(session)
    product = make_live_product(session, brand, designer)
    now = utcnow()
    last_month = (now.replace(day=1) - timedelta(days=1)).replace(day=10)
    sell(session, brand, product, order_id="S-1", quantity=4, now=last_month)
    (sale,) = sell(session, brand, product, order_id="S-2", quantity=2, now=now).recorded
    rewards_sales.refund_sale(session, sale=sale, now=now)
    month = f"{now.year:04d}-{now.month:02d}"
    statement = rewards_statements.member_statement(session, user=designer, brand=brand, month=month)
    assert (statement.opening_minor, statement.closing_minor) == (1000, 1000)
    assert [line.amount_minor for line in statement.lines] == [500, -500]
    text = rewards_statements.statement_csv(statement).decode()
    assert "Opening balance,,10.00,EUR" in text and "Closing balance,,10.00,EUR" in text
    with pytest.raises(Invalid):
        rewards_statements.parse_month("2026-13", now)


def test_the_liability_report_says_what_is_owed_to_whom(session: Session) -> None:
    brand = make_brand(session)
    a, b = make_user(session, handle="alpha"), make_user(session, handle="bravo")
    sell(session, brand, make_live_product(session, brand, a), order_id="L-1", quantity=20, now=utcnow() - OLD)
    sell(session, brand, make_live_product(session, brand, b), order_id="L-2", quantity=4)
    rewards_payouts.open_batch(session, brand=brand, created_by=make_user(session))
    report = rewards_statements.liability_report(session, brand=brand)
    rows = {row.user.handle: (row.available_minor, row.held_minor, row.in_payout_minor) for row in report.rows}
    assert rows == {"alpha": (0, 0, 5000), "bravo": (0, 1000, 0)}
    assert report.total_minor == 6000
    assert "alpha," in rewards_statements.liability_csv(report).decode()


def test_refunding_a_held_sale_reduces_held_not_available(session: Session) -> None:
    """A refund nets against its own sale's held earnings: available, the batch and the report stay right."""
    brand = make_brand(session)
    designer, manager = make_user(session, handle="leila"), make_user(session)
    product = make_live_product(session, brand, designer)
    sell(session, brand, product, order_id="R-1", quantity=20, now=utcnow() - OLD)  # 50.00, past the hold
    sell(session, brand, product, order_id="R-2", quantity=8)  # 20.00, held
    (held_sale,) = sell(session, brand, product, order_id="R-3", quantity=4).recorded  # 10.00, held
    rewards_sales.refund_sale(session, sale=held_sale)

    (balance,) = rewards_statements.member_earnings(session, user=designer).balances
    assert (balance.available_minor, balance.held_minor) == (5000, 2000)
    (row,) = rewards_statements.liability_report(session, brand=brand).rows
    assert (row.available_minor, row.held_minor, row.owed_minor) == (5000, 2000, 7000)
    earnings = ledger_service.find_account(
        session, brand_id=brand.id or 0, user_id=designer.id, kind=AccountKind.earnings, currency="EUR"
    )
    assert earnings is not None and ledger_service.recount(session, account=earnings) == 7000 == earnings.balance_minor

    batch = rewards_payouts.open_batch(session, brand=brand, created_by=manager)
    assert [(r.user.id, r.line.amount_minor) for r in rewards_payouts.batch_recipients(session, batch=batch)] == [
        (designer.id, 5000)
    ]
    (balance,) = rewards_statements.member_earnings(session, user=designer).balances
    assert (balance.available_minor, balance.held_minor, balance.in_payout_minor) == (0, 2000, 5000)


def test_refunding_a_sale_after_its_hold_reduces_available(session: Session) -> None:
    brand = make_brand(session)
    designer = make_user(session)
    product = make_live_product(session, brand, designer)
    (old_sale,) = sell(session, brand, product, order_id="T-1", quantity=20, now=utcnow() - OLD).recorded
    sell(session, brand, product, order_id="T-2", quantity=4)  # 10.00, held
    rewards_sales.refund_sale(session, sale=old_sale)
    (balance,) = rewards_statements.member_earnings(session, user=designer).balances
    assert (balance.available_minor, balance.held_minor) == (0, 1000)
    (row,) = rewards_statements.liability_report(session, brand=brand).rows
    assert (row.available_minor, row.held_minor) == (0, 1000)


# --- Currencies ---------------------------------------------------------------------------------------------------


def test_made_up_currencies_are_refused_in_settings_and_terms(session: Session) -> None:
    brand = make_brand(session)
    with pytest.raises(Invalid) as settings_error:
        rewards_terms.update_reward_settings(
            session, brand=brand, currency="QQQ", commission_percent="5", payout_threshold="20", hold_days="30"
        )
    assert "ISO 4217" in settings_error.value.fields["currency"]
    product = make_product(session, brand)
    with pytest.raises(Invalid) as terms_error:
        rewards_terms.set_product_terms(
            session,
            product=product,
            fields=rewards_terms.TermsFields(price="10", currency="XYZ", royalty_kind="percent", live=True),
        )
    assert "ISO 4217" in terms_error.value.fields["currency"]


def test_a_products_currency_is_fixed_once_it_has_sales(session: Session) -> None:
    brand = make_brand(session)
    product = make_live_product(session, brand, currency="EUR")
    fields = rewards_terms.TermsFields(price="10", currency="USD", royalty_kind="percent", live=True)
    rewards_terms.set_product_terms(session, product=product, fields=fields)  # no sales yet: allowed
    sell(session, brand, product, order_id="C-1", unit_price="10.00", currency="USD")
    euros = rewards_terms.TermsFields(price="10", currency="EUR", royalty_kind="percent", live=True)
    with pytest.raises(Invalid) as error:
        rewards_terms.set_product_terms(session, product=product, fields=euros)
    assert "has sales in USD" in error.value.fields["currency"]
    rewards_terms.set_product_terms(session, product=product, fields=fields)  # the same currency: still fine


def test_the_liability_report_shows_every_currency_owed(session: Session) -> None:
    brand = make_brand(session)
    designer = make_user(session, handle="eurodesigner")
    sell(session, brand, make_live_product(session, brand, designer), order_id="M-1", quantity=4)  # 10.00 EUR
    rewards_terms.update_reward_settings(
        session, brand=brand, currency="USD", commission_percent="5", payout_threshold="20", hold_days="30"
    )
    report = rewards_statements.liability_report(session, brand=brand)
    assert report.totals == {"USD": 0, "EUR": 1000}
    assert [(row.user.handle, row.currency, row.owed_minor) for row in report.rows] == [("eurodesigner", "EUR", 1000)]
    assert rewards_statements.liability_csv(report).decode().endswith(",0.00,10.00,0.00,10.00,EUR\r\n")


# --- When a sale was made ------------------------------------------------------------------------------------------


def _line(product_id: int | None, order_id: str, sold_at: object) -> rewards_sales.SaleInput:
    return rewards_sales.SaleInput(
        order_id=order_id,
        product_id=str(product_id),
        quantity="4",
        unit_price="25.00",
        currency="EUR",
        sold_at=sold_at,  # type: ignore[arg-type]
    )


def test_sales_in_the_future_or_implausibly_old_are_refused(session: Session) -> None:
    brand = make_brand(session)
    product = make_live_product(session, brand)
    now = utcnow()
    rows = [
        _line(product.id, "D-1", now + timedelta(days=1)),
        _line(product.id, "D-2", datetime(2020, 1, 1, tzinfo=UTC)),
        _line(product.id, "D-3", now.replace(tzinfo=None)),
        _line(product.id, "D-4", now + timedelta(minutes=2)),  # clock skew: fine
    ]
    with pytest.raises(rewards_sales.SalesRejected) as refused:
        rewards_sales.record_sales(session, brand=brand, rows=rows, source=SaleSource.api, now=now)
    assert set(refused.value.fields) == {"row 1", "row 2", "row 3"}
    assert "in the future" in refused.value.fields["row 1"]
    assert "2020-01-01 is more than 400 days ago" in refused.value.fields["row 2"]
    assert "time zone" in refused.value.fields["row 3"]
    assert session.exec(select(Sale)).all() == []


def test_a_backdated_sale_is_held_from_when_it_is_recorded(session: Session) -> None:
    brand = make_brand(session)
    designer = make_user(session)
    product = make_live_product(session, brand, designer)
    now = utcnow()
    (sale,) = rewards_sales.record_sales(
        session, brand=brand, rows=[_line(product.id, "E-1", now - OLD)], source=SaleSource.api, now=now
    ).recorded
    assert sale.sold_at == now - OLD
    (balance,) = rewards_statements.member_earnings(session, user=designer, now=now).balances
    assert (balance.available_minor, balance.held_minor) == (0, 1000)
    with pytest.raises(Conflict, match="nothing to pay"):
        rewards_payouts.open_batch(session, brand=brand, created_by=make_user(session), now=now)
    # The earnings are in the month they were recorded: a statement already issued for an earlier month stays true.
    earlier = now - OLD
    statement = rewards_statements.member_statement(
        session, user=designer, brand=brand, month=f"{earlier.year:04d}-{earlier.month:02d}"
    )
    assert statement.lines == [] and statement.closing_minor == 0


def test_a_csv_may_say_when_each_sale_was_made(session: Session) -> None:
    brand = make_brand(session)
    product = make_live_product(session, brand)
    when = (utcnow() - timedelta(days=3)).replace(microsecond=0)
    content = (
        "order_id,product_id,quantity,unit_price,currency,sold_at\n"
        f"K-1,{product.id},1,25.00,EUR,{when.isoformat()}\n"
        f"K-2,{product.id},1,25.00,EUR,2020-01-01T00:00:00+00:00\n"
        f"K-3,{product.id},1,25.00,EUR,yesterday\n"
    ).encode()
    with pytest.raises(rewards_sales.SalesRejected) as refused:
        _import(session, brand, content)
    assert "400 days" in refused.value.fields["row 3"] and "not a date" in refused.value.fields["row 4"]
    assert _import(session, brand, content.rsplit(b"\n", 3)[0] + b"\n").recorded == 1
    (sale,) = session.exec(select(Sale).where(Sale.brand_id == brand.id)).all()
    assert sale.sold_at == when


# --- The brand's redemptions --------------------------------------------------------------------------------------


def test_a_brand_lists_its_redemptions_and_fulfils_each_once(session: Session) -> None:
    brand = make_brand(session)
    member, manager = make_member_of(session, brand), make_user(session)
    redemption = make_redemption(session, brand, member)
    (row,) = rewards_points.list_brand_redemptions(session, brand=brand)
    assert (row.member.id, row.item.name, row.redemption.status) == (member.id, "Tote bag", "to fulfil")
    rewards_points.fulfil_redemption(session, redemption=redemption, actor=manager)
    assert redemption.status == "fulfilled" and redemption.fulfilled_by_id == manager.id
    with pytest.raises(Conflict, match="fulfilled already"):
        rewards_points.fulfil_redemption(session, redemption=redemption, actor=manager)
    with pytest.raises(NotFound):
        rewards_points.get_brand_redemption(session, brand=make_brand(session), redemption_id=redemption.id or 0)
