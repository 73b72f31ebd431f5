"""A brand's product made from a winning design, with members who said "I'd buy it", and pre-orders of it."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from app.accounts.models import User
from app.brands.models import Brand
from app.challenges.models import Design, Product, ProductStatus, Score
from app.columns import utcnow
from app.communities.models import Community
from app.preorders import service as preorders_service
from app.preorders.models import Preorder
from tests.factories import add_member, add_staff, make_brand, make_challenge, make_community, make_design, make_user


@dataclass
class PreorderWorld:
    brand: Brand
    community: Community
    manager: User
    designer: User
    design: Design
    product: Product
    would_buy: list[User]  # members who scored the design with "I'd buy it"
    would_not: User  # a member who scored it without


def build_preorder_world(
    session: Session, *, brand: Brand | None = None, community: Community | None = None
) -> PreorderWorld:
    """A closed challenge whose winning design became a draft product; three members would buy it, one would not."""
    brand = brand or make_brand(session)
    community = community or make_community(session, brand)
    manager = make_user(session)
    add_staff(session, brand, manager)
    designer = make_user(session)
    add_member(session, community, designer)
    challenge = make_challenge(session, community, phase="closed")
    design = make_design(session, challenge, designer, title="Harbour Lights", won_at=utcnow() - timedelta(days=1))
    product = Product(
        brand_id=brand.id or 0,
        name="Harbour Lights Tee",
        status=ProductStatus.draft,
        design_id=design.id,
        designer_id=designer.id,
    )
    session.add(product)
    would_buy = []
    for buys in (True, True, True, False):
        voter = make_user(session)
        add_member(session, community, voter)
        session.add(Score(design_id=design.id or 0, voter_id=voter.id or 0, value=4, would_buy=buys))
        if buys:
            would_buy.append(voter)
        else:
            would_not = voter
    session.flush()
    return PreorderWorld(brand, community, manager, designer, design, product, would_buy, would_not)


def open_preorder(
    session: Session,
    world: PreorderWorld,
    *,
    target_count: int = 5,
    stock_limit: int | None = None,
    deadline_at: datetime | None = None,
    variants: tuple[str, ...] = ("S", "M", "L"),
    now: datetime | None = None,
) -> Preorder:
    return preorders_service.open_preorder(
        session,
        brand=world.brand,
        product=world.product,
        actor=world.manager,
        fields=preorders_service.PreorderFields(
            target_count=target_count,
            deadline_at=deadline_at or (now or utcnow()) + timedelta(days=4),
            price="24.00",
            variants=list(variants),
            stock_limit=stock_limit,
        ),
        now=now,
    )


def a_member(session: Session, world: PreorderWorld) -> User:
    member = make_user(session)
    add_member(session, world.community, member)
    return member
