"""Property-based: random sequences of sales (some replayed, some referred, some recorded long enough ago to pay),
refunds, points awards, redemptions and payout batches (some lines failing). Whatever the sequence:

- every transaction balances, and every cached balance equals the recount of its entries;
- nothing is paid twice (one payout posting per paid line; settling a settled batch pays nothing);
- nothing is paid inside the holding period: what a member was ever paid or is being paid is at most what they
  earned before the latest batch's cutoff, less the refunds of those sales (a model kept by the test, not the
  service);
- what is held is exactly the credits of the sales posted inside the holding period that are not refunded (a refund
  of a held sale nets against it, and never comes off what is available);
- replaying every sale at the end changes no balance; points never go below zero.
"""

from collections import defaultdict
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, col, func, select

from app.columns import utcnow
from app.errors import Conflict
from app.ledger import service as ledger_service
from app.ledger.models import LedgerTransaction, TransactionKind
from app.rewards import payouts as rewards_payouts
from app.rewards import points as rewards_points
from app.rewards import referrals as rewards_referrals
from app.rewards import sales as rewards_sales
from app.rewards import statements as rewards_statements
from app.rewards import terms as rewards_terms
from app.rewards.models import LineStatus, PayoutBatch, PayoutLine, PointsAction, Sale, SaleSource
from tests.factories import make_brand, make_user
from tests.rewards.factories import make_live_product, make_member_of

HOLD_DAYS = 30

sale_op = st.tuples(
    st.just("sale"),
    st.integers(0, 1),  # product
    st.integers(0, 9),  # order number: repeats are replays
    st.integers(0, 70),  # how many days ago it was recorded (its earnings are held from then)
    st.booleans(),  # referred
)
refund_op = st.tuples(st.just("refund"), st.integers(0, 20))
batch_op = st.tuples(st.just("batch"), st.booleans())  # fail the first line
award_op = st.tuples(st.just("award"), st.integers(0, 4))
redeem_op = st.tuples(st.just("redeem"), st.integers(0, 1))
operations = st.lists(st.one_of(sale_op, refund_op, batch_op, award_op, redeem_op), min_size=1, max_size=25)


def _posted_at(session: Session, sale: Sale) -> datetime:
    transaction = session.get(LedgerTransaction, sale.transaction_id)
    assert transaction is not None
    return transaction.posted_at


def _credits(session: Session, sale: Sale) -> dict[int, int]:
    """Who a sale credited, read from its ledger transaction's positive entries."""
    if sale.transaction_id is None:
        return {}
    transaction = session.get(LedgerTransaction, sale.transaction_id)
    assert transaction is not None
    return {
        account.user_id: amount
        for account, amount in ledger_service.entries_of(session, transaction=transaction)
        if amount > 0 and account.user_id is not None
    }


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_random_money_histories_keep_the_ledger_sound(session: Session, ops: list[tuple]) -> None:  # type: ignore[type-arg]
    now = utcnow()
    brand = make_brand(session)
    manager = make_user(session)
    designer, co_designer = make_user(session), make_user(session)
    referrer = make_member_of(session, brand)
    spender = make_member_of(session, brand)
    rewards_terms.update_reward_settings(
        session,
        brand=brand,
        currency="EUR",
        commission_percent="7.5",
        payout_threshold="5.00",
        hold_days=str(HOLD_DAYS),
    )
    products = [
        make_live_product(session, brand, designer, royalty_percent="12.5"),
        make_live_product(
            session,
            brand,
            designer,
            royalty_kind="fixed",
            royalty_fixed="0.99",
            royalty_min="1.10",
            splits=f"{designer.handle} 66.67\n{co_designer.handle} 33.33",
        ),
    ]
    code = rewards_referrals.referral_code_for(session, user=referrer, brand=brand).code
    rewards_points.set_points_rule(session, brand=brand, action="survey_answered", points="40", daily_cap="3")
    items = [
        rewards_points.add_reward_item(
            session, brand=brand, name=f"Reward {n}", description="", kind="discount_code", points_cost=cost, stock="2"
        )
        for n, cost in enumerate(("30", "70"))
    ]

    sent: list[rewards_sales.SaleInput] = []
    recorded: list[Sale] = []
    # The model: per member, (posted at, amount, sale id) of each credit, and the ids of the refunded sales.
    earned: dict[int, list[tuple[datetime, int, int]]] = defaultdict(list)
    refunded_sales: set[int] = set()
    cutoff = now - timedelta(days=HOLD_DAYS)
    points_model = 0
    for step, op in enumerate(ops):
        kind = op[0]
        if kind == "sale":
            _, product_index, order_number, age, referred = op
            product = products[product_index]
            row = rewards_sales.SaleInput(
                order_id=f"o{order_number}",
                product_id=str(product.id),
                quantity=str(order_number % 4 + 1),
                unit_price="19.99",
                currency="EUR",
                referral_code=code if referred else "",
                sold_at=now - timedelta(days=age, minutes=step + 60),
            )
            sent.append(row)
            recorded_at = now - timedelta(days=age, minutes=step)
            result = rewards_sales.record_sales(
                session, brand=brand, rows=[row], source=SaleSource.api, now=recorded_at
            )
            for sale in result.recorded:
                recorded.append(sale)
                for user_id, amount in _credits(session, sale).items():
                    earned[user_id].append((_posted_at(session, sale), amount, sale.id or 0))
        elif kind == "refund":
            if not recorded:
                continue
            sale = recorded[op[1] % len(recorded)]
            if sale.refunded_at is not None:
                try:
                    rewards_sales.refund_sale(session, sale=sale, now=now)
                except Conflict:
                    continue
                raise AssertionError("a sale was refunded twice")
            rewards_sales.refund_sale(session, sale=sale, now=now)
            refunded_sales.add(sale.id or 0)
        elif kind == "batch":
            try:
                batch = rewards_payouts.open_batch(session, brand=brand, created_by=manager, now=now)
            except Conflict:
                continue
            recipients = rewards_payouts.batch_recipients(session, batch=batch)
            # Nothing paid inside the holding period: for each member in this batch, all they were ever paid or are
            # being paid is at most what they earned before its cutoff from sales not refunded so far. (Someone
            # refunded after being paid owes the difference, and is in no batch until they earn it back.)
            locked = _locked_per_member(session, brand_id=brand.id or 0)
            for recipient in recipients:
                user_id = recipient.user.id or 0
                payable = sum(
                    amount
                    for moment, amount, sale_id in earned[user_id]
                    if moment <= batch.cutoff_at and sale_id not in refunded_sales
                )
                assert 0 < locked[user_id] <= payable
            if op[1] and recipients:
                rewards_payouts.mark_failed(session, batch=batch, line_id=recipients[0].line.id or 0, reason="bounced")
            rewards_payouts.mark_paid(session, batch=batch, now=now)
            assert rewards_payouts.mark_paid(session, batch=batch, now=now) == []  # settling again pays nothing
            session.refresh(batch)
            assert batch.status == "closed" and batch.open_key is None
        elif kind == "award":
            before = rewards_points.points_balance(session, user=spender, brand_id=brand.id or 0)
            rewards_points.award_points(
                session,
                user_id=spender.id or 0,
                brand_id=brand.id or 0,
                action=PointsAction.survey_answered,
                source_key=f"survey:{op[1]}",
                now=now,
            )
            after = rewards_points.points_balance(session, user=spender, brand_id=brand.id or 0)
            assert after - before in (0, 40)
            points_model = after
            assert points_model <= 3 * 40  # the daily cap: at most three awards today
        elif kind == "redeem":
            item = items[op[1]]
            before = rewards_points.points_balance(session, user=spender, brand_id=brand.id or 0)
            try:
                rewards_points.redeem(session, user=spender, item_id=item.id or 0, request_key=f"r{step}-{brand.id}")
            except Conflict:
                assert before < item.points_cost or item.stock == 0
                continue
            assert (
                rewards_points.points_balance(session, user=spender, brand_id=brand.id or 0)
                == before - item.points_cost
            )
            points_model = before - item.points_cost

        # After every step: the ledger balances and the caches agree with the entries.
        assert all(total == 0 for _, _, total in ledger_service.transaction_sums(session, brand_id=brand.id))
        assert ledger_service.accounts_out_of_balance(session, brand_id=brand.id) == []
        # Held is the unrefunded credits inside the holding period, in the report and on each member's page alike.
        report = rewards_statements.liability_report(session, brand=brand, now=now)
        for row in report.rows:
            user_id = row.user.id or 0
            expected_held = sum(
                amount
                for moment, amount, sale_id in earned[user_id]
                if moment > cutoff and sale_id not in refunded_sales
            )
            assert row.held_minor == expected_held
            (own,) = rewards_statements.member_earnings(session, user=row.user, now=now).balances
            assert (own.available_minor, own.held_minor, own.in_payout_minor) == (
                row.available_minor,
                row.held_minor,
                row.in_payout_minor,
            )

    # Nothing paid twice: one payout posting per paid line.
    paid_lines = session.exec(
        select(func.count()).select_from(PayoutLine).where(PayoutLine.status == LineStatus.paid)
    ).one()
    paid_postings = session.exec(
        select(func.count())
        .select_from(LedgerTransaction)
        .where(LedgerTransaction.brand_id == brand.id, LedgerTransaction.kind == TransactionKind.payout_paid)
    ).one()
    batch_ids = [batch.id for batch in rewards_payouts.list_batches(session, brand=brand)]
    brand_paid_lines = session.exec(
        select(func.count())
        .select_from(PayoutLine)
        .where(col(PayoutLine.batch_id).in_(batch_ids), PayoutLine.status == LineStatus.paid)
    ).one()
    assert paid_postings == brand_paid_lines <= paid_lines

    # Replays change nothing.
    balances = {
        (row.user.id, "owed"): row.owed_minor for row in rewards_statements.liability_report(session, brand=brand).rows
    }
    transactions = session.exec(select(func.count()).select_from(LedgerTransaction)).one()
    if sent:
        again = rewards_sales.record_sales(session, brand=brand, rows=_unique(sent), source=SaleSource.csv, now=now)
        assert again.recorded == []
    assert session.exec(select(func.count()).select_from(LedgerTransaction)).one() == transactions
    assert {
        (row.user.id, "owed"): row.owed_minor for row in rewards_statements.liability_report(session, brand=brand).rows
    } == balances
    assert rewards_points.points_balance(session, user=spender, brand_id=brand.id or 0) == points_model >= 0


def _locked_per_member(session: Session, *, brand_id: int) -> dict[int, int]:
    """What each member was paid or is being paid by the brand's batches (failed lines returned their money)."""
    totals: dict[int, int] = defaultdict(int)
    for line in session.exec(
        select(PayoutLine)
        .join(PayoutBatch, col(PayoutBatch.id) == PayoutLine.batch_id)
        .where(PayoutBatch.brand_id == brand_id, PayoutLine.status != LineStatus.failed)
    ).all():
        totals[line.user_id] += line.amount_minor
    return totals


def _unique(rows: list[rewards_sales.SaleInput]) -> list[rewards_sales.SaleInput]:
    """The first of each (order, product), as a re-sent file would have it (one line per order and product)."""
    seen: dict[tuple[str, str], rewards_sales.SaleInput] = {}
    for row in rows:
        seen.setdefault((row.order_id, row.product_id), row)
    return list(seen.values())
