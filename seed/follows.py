"""Follows in the demo: members of the Design Lab following the designers of the winning designs (Mia among them),
so portfolios show their followers and their shops, and new designs by those designers reach followers.

Deterministic and run once, inside the demo's one transaction, after the products exist.
"""

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.challenges.models import Product
from app.communities.models import Community, Membership
from app.follows import service as follows_service


def seed_follows(session: Session, *, community: Community, member: User) -> None:
    """Each winning designer gets followers: Mia and a few more lab members for each further winner."""
    designer_ids = list(
        dict.fromkeys(
            session.exec(
                select(Product.designer_id)
                .where(Product.brand_id == community.brand_id, col(Product.designer_id).is_not(None))
                .order_by(col(Product.id))
            ).all()
        )
    )
    fans = session.exec(
        select(User)
        .join(Membership, col(Membership.user_id) == User.id)
        .where(Membership.community_id == community.id, col(User.id).not_in([*designer_ids, member.id]))
        .order_by(col(User.id))
    ).all()
    for index, designer_id in enumerate(designer_ids):
        designer = session.get(User, designer_id)
        assert designer is not None
        for fan in [member, *fans[: 3 + 2 * index]]:
            if fan.id != designer.id:
                follows_service.follow_designer(session, follower=fan, designer=designer)
