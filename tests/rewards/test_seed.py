"""The demo's rewards (seed/rewards.py) on a small world of its own: what the demo promises is there and sound."""

from sqlmodel import Session, select

from app.ledger import service as ledger_service
from app.rewards import payouts as rewards_payouts
from app.rewards import points as rewards_points
from app.rewards import referrals as rewards_referrals
from app.rewards import statements as rewards_statements
from app.rewards import terms as rewards_terms
from app.rewards.models import BatchStatus, LineStatus, PayoutBatch, Sale
from seed.rewards import seed_rewards
from tests.factories import add_member, make_brand, make_community, make_user
from tests.rewards.factories import make_product


def test_the_demo_rewards_have_products_sales_referrals_a_paid_batch_and_an_open_one(session: Session) -> None:
    brand = make_brand(session)
    community = make_community(session, brand)
    manager, mia = make_user(session), make_user(session)
    designers = [make_user(session) for _ in range(3)]
    for person in (mia, *designers):
        add_member(session, community, person)
    for designer in designers:
        make_product(session, brand, designer)

    seed_rewards(session, community=community, manager=manager, member=mia)

    assert {row.product.status for row in rewards_terms.list_products(session, brand=brand)} == {"live"}
    assert len(session.exec(select(Sale).where(Sale.brand_id == brand.id)).all()) == 60
    batches = session.exec(select(PayoutBatch).where(PayoutBatch.brand_id == brand.id).order_by(PayoutBatch.id)).all()
    assert [batch.status for batch in batches] == [BatchStatus.closed, BatchStatus.open]
    paid = rewards_payouts.batch_recipients(session, batch=batches[0])
    assert paid and {recipient.line.status for recipient in paid} == {LineStatus.paid}
    assert rewards_payouts.batch_recipients(session, batch=batches[1])
    (funnel,) = rewards_referrals.referral_funnels(session, user=mia)
    assert funnel.clicks == 46 and funnel.signups == 3 and funnel.purchases > 0
    earnings = rewards_statements.member_earnings(session, user=mia)
    assert earnings.balances and earnings.payouts
    assert rewards_points.points_balance(session, user=mia, brand_id=brand.id or 0) > 0
    assert ledger_service.accounts_out_of_balance(session) == []
    assert all(total == 0 for _, _, total in ledger_service.transaction_sums(session, brand_id=brand.id))
