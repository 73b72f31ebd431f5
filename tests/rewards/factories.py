"""Factories for rewards tests: live products with terms, and sale lines."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from app.accounts.models import User
from app.brands.models import Brand
from app.challenges.models import Product, ProductStatus
from app.columns import utcnow
from app.rewards import payouts as rewards_payouts
from app.rewards import points as rewards_points
from app.rewards import sales as rewards_sales
from app.rewards import terms as rewards_terms
from app.rewards.models import PointsAction, Redemption, SaleSource
from tests.factories import add_member, make_brand, make_community, make_user


def make_product(session: Session, brand: Brand, designer: User | None = None, **overrides: object) -> Product:
    """A draft product of the brand, as picking a winner makes one."""
    designer = designer or make_user(session)
    values: dict[str, object] = {"brand_id": brand.id, "name": "Rain Tee", "designer_id": designer.id}
    values.update(overrides)
    product = Product(status=ProductStatus.draft, **values)  # type: ignore[arg-type]
    session.add(product)
    session.flush()
    return product


def make_live_product(
    session: Session,
    brand: Brand,
    designer: User | None = None,
    *,
    price: str = "25.00",
    currency: str = "EUR",
    royalty_kind: str = "percent",
    royalty_percent: str = "10",
    royalty_fixed: str = "0",
    royalty_min: str = "0",
    splits: str = "",
    store_url: str = "",
) -> Product:
    """A live product with terms set through the service (10 % of the net sale by default)."""
    product = make_product(session, brand, designer)
    rewards_terms.set_product_terms(
        session,
        product=product,
        fields=rewards_terms.TermsFields(
            price=price,
            currency=currency,
            royalty_kind=royalty_kind,
            royalty_percent=royalty_percent,
            royalty_fixed=royalty_fixed,
            royalty_min=royalty_min,
            splits=splits,
            live=True,
            store_url=store_url,
        ),
    )
    return product


def make_member_of(session: Session, brand: Brand, user: User | None = None) -> User:
    """Someone who belongs to a community of the brand (so they may refer and redeem there)."""
    user = user or make_user(session)
    add_member(session, make_community(session, brand), user)
    return user


def sell(
    session: Session,
    brand: Brand,
    product: Product,
    *,
    order_id: str,
    quantity: int = 1,
    unit_price: str = "25.00",
    currency: str = "EUR",
    referral_code: str = "",
    now: datetime | None = None,
) -> rewards_sales.SalesResult:
    row = rewards_sales.SaleInput(
        order_id=order_id,
        product_id=str(product.id),
        quantity=str(quantity),
        unit_price=unit_price,
        currency=currency,
        referral_code=referral_code,
    )
    return rewards_sales.record_sales(session, brand=brand, rows=[row], source=SaleSource.api, now=now)


@dataclass(frozen=True)
class RewardsWorld:
    product_id: int
    batch_id: int
    redemption_id: int


def build_rewards_world(session: Session, *, brand: Brand, member: User, staff: User) -> RewardsWorld:
    """For tests/test_permissions.py: a live product of the brand designed by ``member``, a sale of it past the
    holding period, an open payout batch paying the member, and a reward the member redeemed (to fulfil)."""
    product = make_live_product(session, brand, member)
    sell(session, brand, product, order_id="perm-1", quantity=40, now=utcnow() - timedelta(days=60))
    batch = rewards_payouts.open_batch(session, brand=brand, created_by=staff)
    return RewardsWorld(
        product_id=product.id or 0,
        batch_id=batch.id or 0,
        redemption_id=make_redemption(session, brand, member).id or 0,
    )


ADDRESS = "Mia Example\n12 Harbour Road\nLeith EH6 6QT"  # where merchandise goes


def make_redemption(session: Session, brand: Brand, member: User) -> Redemption:
    """A reward of the brand's catalog that ``member`` (in one of its communities) redeemed with points."""
    rewards_points.set_points_rule(session, brand=brand, action="survey_answered", points="100", daily_cap="5")
    rewards_points.award_points(
        session,
        user_id=member.id or 0,
        brand_id=brand.id or 0,
        action=PointsAction.survey_answered,
        source_key=f"factory:{member.id}",
    )
    item = rewards_points.add_reward_item(
        session, brand=brand, name="Tote bag", description="", kind="merchandise", points_cost="50", stock="5"
    )
    return rewards_points.redeem(
        session, user=member, item_id=item.id or 0, request_key=f"factory-{member.id}", shipping_address=ADDRESS
    )


__all__ = [
    "build_rewards_world",
    "make_brand",
    "make_live_product",
    "make_member_of",
    "make_product",
    "make_redemption",
    "sell",
]
