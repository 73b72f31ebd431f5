"""Northwind Insiders, the demo's invite-only community, built through the community services.

Northwind's manager invited fifteen of the Design Lab's keenest members over the last two months with one shared
link; they joined through it. A single-use link waits for Mia, and her notifications tell her about it, so the
demo login can accept an invitation (or see what an invite-only community looks like from outside).
Run once, inside the demo's one transaction; it checks for its own community, so a second call changes nothing.
"""

import random
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.brands.models import Brand
from app.communities import service as communities_service
from app.communities.models import Community, CommunityKind, MemberRole, Membership, Visibility
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind

INSIDERS = "northwind-insiders"
INSIDERS_MEMBERS = 15
INSIDERS_ABOUT = """A small circle of Design Lab regulars who see Northwind's next collection before anyone else.

We share early samples, colour cards and half-finished ideas here, and ask you to keep them to yourself until
launch. Membership is by invitation from the Northwind team."""


def seed_insiders(session: Session, *, design_lab: Community, manager: User, member: User, now: datetime) -> bool:
    """Create the invite-only community, its members and Mia's pending invitation unless it exists."""
    if session.exec(communities_service.select_community_by_slug(INSIDERS)).first() is not None:
        return False
    brand = session.get(Brand, design_lab.brand_id)
    assert brand is not None
    insiders = communities_service.create_community(
        session,
        brand=brand,
        name="Northwind Insiders",
        slug=INSIDERS,
        kind=CommunityKind.design,
        tagline="Early samples and sneak peeks, for invited members.",
        description=INSIDERS_ABOUT,
        visibility=Visibility.invite_only,
    )
    rng = random.Random(31)
    regulars = session.exec(
        select(User)
        .join(Membership, col(Membership.user_id) == User.id)
        .where(Membership.community_id == design_lab.id, Membership.role == MemberRole.member)
        .where(User.id != member.id)
        .order_by(col(User.id))
    ).all()
    invited_at = now - timedelta(days=60)
    shared = communities_service.create_invite(
        session,
        community=insiders,
        created_by=manager,
        note="Founding insiders",
        max_uses=25,
        expires_in_days=90,
        now=invited_at,
    )
    for user in rng.sample(list(regulars), INSIDERS_MEMBERS):
        communities_service.join_by_invite(session, code=shared.code, user=user)
        membership = communities_service.get_membership(session, community=insiders, user=user)
        assert membership is not None
        membership.joined_at = invited_at + timedelta(hours=rng.randint(2, 55 * 24))
        session.add(membership)

    for_mia = communities_service.create_invite(
        session,
        community=insiders,
        created_by=manager,
        note=f"For {member.display_name}",
        max_uses=1,
        expires_in_days=30,
        now=now - timedelta(days=1),
    )
    notifications_service.notify(
        session,
        user=member,
        kind=NotificationKind.community_invite,
        text=f"{manager.display_name} invited you to join {insiders.name}, Northwind's invite-only community.",
        link=f"/invite/{for_mia.code}",
        actor=manager,
        community=insiders,
    )
    session.flush()
    return True
