"""Rewards in the demo, built through the services: the Northwind winners on sale with royalty terms and a link to
the brand's store (Mia shares one as a co-designer), three months of sales (some through Mia's referral code, one
refunded), points rules and a rewards catalog, a payout batch paid three weeks ago and one open now.

Deterministic (a fixed random seed, moments relative to now) and run once, inside the demo's one transaction.
"""

import random
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.brands.models import Brand
from app.challenges.models import Product
from app.columns import id_of, utcnow
from app.communities.models import Community, Membership
from app.rewards import payouts as rewards_payouts
from app.rewards import points as rewards_points
from app.rewards import referrals as rewards_referrals
from app.rewards import sales as rewards_sales
from app.rewards import terms as rewards_terms
from app.rewards.models import PointsAction, SaleSource
from app.slugs import slugify

POINTS_RULES = {
    PointsAction.design_submitted: ("50", "3"),
    PointsAction.first_score: ("2", "40"),
    PointsAction.survey_answered: ("30", "2"),
    PointsAction.samples_passed: ("40", "5"),
    PointsAction.referral_converted: ("100", "5"),
}
CATALOG = [
    ("15 % off your next order", "A single-use code for the Northwind shop.", "discount_code", "300", "100"),
    ("Design Lab tote", "The canvas tote from the Trailhead challenge.", "merchandise", "800", "25"),
    ("Signed print of a winning design", "A3, signed by its designer.", "merchandise", "1500", "5"),
]
PRICES = ("29.00", "29.00", "34.00")


def seed_rewards(
    session: Session, *, community: Community, manager: User, member: User, now: datetime | None = None
) -> None:
    """The demo's products, sales, referrals, points and payouts for the community's brand; ``member`` is Mia."""
    brand = session.get(Brand, community.brand_id)
    assert brand is not None
    rng = random.Random(606)
    now = (now or utcnow()).replace(minute=0, second=0, microsecond=0)
    rewards_terms.update_reward_settings(
        session, brand=brand, currency="EUR", commission_percent="8", payout_threshold="20.00", hold_days="30"
    )
    for action, (points, cap) in POINTS_RULES.items():
        rewards_points.set_points_rule(session, brand=brand, action=action.value, points=points, daily_cap=cap)
    for name, description, kind, cost, stock in CATALOG:
        rewards_points.add_reward_item(
            session, brand=brand, name=name, description=description, kind=kind, points_cost=cost, stock=stock
        )

    products = session.exec(select(Product).where(Product.brand_id == brand.id).order_by(col(Product.id))).all()
    for index, product in enumerate(products):
        designer = session.get(User, product.designer_id)
        assert designer is not None
        splits = f"{designer.handle} 70\n{member.handle} 30" if index == 0 and designer.id != member.id else ""
        rewards_terms.set_product_terms(
            session,
            product=product,
            fields=rewards_terms.TermsFields(
                price=PRICES[index % len(PRICES)],
                currency="EUR",
                royalty_kind="percent" if index != 2 else "fixed",
                royalty_percent="8",
                royalty_fixed="2.50",
                royalty_min="2.00",
                splits=splits,
                live=True,
                store_url=f"https://shop.northwind.example/products/{slugify(product.name)}",
            ),
        )

    code = rewards_referrals.referral_code_for(session, user=member, brand=brand)
    for visitor in range(46):
        rewards_referrals.record_click(session, code=code.code, visitor=f"192.0.2.{visitor}")
    for friend in _lab_members(session, brand, exclude=member)[:5]:
        rewards_referrals.attribute_signup(session, user=friend, code=code.code)

    # About three months of orders, oldest first; every fifth came through Mia's link.
    rows: list[tuple[datetime, rewards_sales.SaleInput]] = []
    for number in range(60):
        product = products[number % len(products)]
        sold_at = now - timedelta(days=95 - number * 1.5, hours=rng.randint(0, 20))
        row = rewards_sales.SaleInput(
            order_id=f"NW-{10400 + number}",
            product_id=str(product.id),
            quantity=str(rng.choice([1, 1, 1, 2, 2, 3, 5])),
            unit_price=PRICES[products.index(product) % len(PRICES)],
            currency="EUR",
            referral_code=code.code if number % 5 == 2 else "",
            sold_at=sold_at,
        )
        rows.append((sold_at, row))
    # A paid batch three weeks ago (it held back the sales of the 30 days before it) and an open one now. Each sale
    # is recorded as it was made: the holding period runs from when a sale is recorded.
    paid_at = now - timedelta(days=21)
    old = [
        sale
        for sold_at, row in rows
        if sold_at < paid_at
        for sale in rewards_sales.record_sales(
            session, brand=brand, rows=[row], source=SaleSource.csv, now=sold_at
        ).recorded
    ]
    rewards_sales.refund_sale(session, sale=old[3], now=paid_at - timedelta(days=40))
    batch = rewards_payouts.open_batch(session, brand=brand, created_by=manager, now=paid_at)
    rewards_payouts.export_batch(session, batch=batch, now=paid_at)
    rewards_payouts.mark_paid(session, batch=batch, reference="SEPA-2026-Q3", now=paid_at + timedelta(hours=2))
    for sold_at, row in rows:
        if sold_at >= paid_at:
            rewards_sales.record_sales(session, brand=brand, rows=[row], source=SaleSource.api, now=sold_at)
    rewards_payouts.open_batch(session, brand=brand, created_by=manager, now=now)

    for number in range(4):  # Mia's survey answers and samples passed on, a day apart
        moment = now - timedelta(days=10 - number)
        rewards_points.award_points(
            session,
            user_id=id_of(member),
            brand_id=id_of(brand),
            action=PointsAction.survey_answered if number % 2 else PointsAction.samples_passed,
            source_key=f"demo:{number}",
            now=moment,
        )


def _lab_members(session: Session, brand: Brand, *, exclude: User) -> list[User]:
    return list(
        session.exec(
            select(User)
            .join(Membership, col(Membership.user_id) == User.id)
            .join(Community, col(Community.id) == Membership.community_id)
            .where(Community.brand_id == brand.id, User.id != exclude.id)
            .order_by(col(User.id))
            .distinct()
        ).all()
    )
