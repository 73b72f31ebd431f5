"""The demo's pre-order: the design lab's newest winning product open for pledges, part-way to its target."""

import random
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.brands.models import Brand
from app.campaigns.households import Address
from app.challenges.models import Product
from app.communities.models import Community, Membership
from app.preorders import pledges
from app.preorders import service as preorders_service
from app.preorders.models import Preorder

PREORDER_TARGET = 50
PREORDER_PLEDGERS = 18
VARIANTS = ["S", "M", "L", "XL"]
STREETS = ("Harbour Road", "Quay Street", "Mill Lane", "Chapel Row", "Dock Place")
CITIES = ("Leith", "Bristol", "Porto", "Ghent", "Cork")
COUNTRIES = ("GB", "GB", "PT", "BE", "IE")


def seed_preorders(session: Session, *, community: Community, manager: User, now: datetime) -> Preorder:
    """Open the brand's last product (a winning design's) for pre-order four days ahead, and have some of the
    lab's members pledge: the product page shows "n of 50, 4 days left" and the manager its figures."""
    brand = session.get(Brand, community.brand_id)
    assert brand is not None
    product = session.exec(
        select(Product)
        .where(Product.brand_id == brand.id, col(Product.design_id).is_not(None))
        .order_by(col(Product.id).desc())
    ).first()
    assert product is not None  # the closed challenge's winners are products (seed.challenges)
    preorder = preorders_service.open_preorder(
        session,
        brand=brand,
        product=product,
        actor=manager,
        fields=preorders_service.PreorderFields(
            target_count=PREORDER_TARGET,
            deadline_at=now + timedelta(days=4, hours=6),
            price="27.00",
            variants=VARIANTS,
            stock_limit=80,
        ),
        now=now - timedelta(days=3),
    )
    members = session.exec(
        select(User)
        .join(Membership, col(Membership.user_id) == User.id)
        .where(Membership.community_id == community.id, User.id != product.designer_id)
        .order_by(col(User.id))
    ).all()
    rng = random.Random(2121)
    for number, member in enumerate(members[:PREORDER_PLEDGERS]):
        place = number % len(CITIES)
        pledges.pledge(
            session,
            preorder=preorder,
            community=community,
            user=member,
            variant=rng.choice(VARIANTS),
            quantity=rng.choice((1, 1, 1, 2, 3)),
            address=Address(
                recipient_name=member.display_name,
                address_line1=f"{number + 3} {STREETS[number % len(STREETS)]}",
                city=CITIES[place],
                postcode=f"{rng.randint(1000, 9999)}",
                country=COUNTRIES[place],
            ),
            now=now - timedelta(days=2, hours=number),
        )
    return preorder
