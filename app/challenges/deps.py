"""Load the challenge or design named in the path, with its community, and check the actor's roles in it."""

from dataclasses import dataclass
from functools import cache
from typing import Any

from fastapi import Depends
from sqlalchemy import Integer, and_, bindparam, select
from sqlmodel import col

from app.accounts.deps import CurrentUser, PermissionCheck, base_roles, check
from app.accounts.models import User
from app.brands.models import BrandStaff, StaffRole
from app.challenges import service as challenges_service
from app.challenges.models import Challenge, ChallengeStatus, Design, DesignStatus
from app.columns import RowId, UTCDateTime, utcnow
from app.communities import service as communities_service
from app.communities.deps import CommunityAccess, community_roles
from app.communities.models import Community, Membership, Visibility
from app.db import SessionDep
from app.errors import NotFound
from app.moderation.enforcement import active_sanction_id, refuse_if_sanctioned
from app.permissions import Action, Role, can

HIDDEN_COMMUNITY = "There is no such community."
HIDDEN_CHALLENGE = "There is no such challenge."
HIDDEN_DESIGN = "There is no such design."


@dataclass(frozen=True)
class ChallengeAccess(CommunityAccess):
    challenge: Challenge


@dataclass(frozen=True)
class DesignAccess(ChallengeAccess):
    design: Design


def _community_access(
    session: SessionDep, community: Community, user: User | None, action: Action, *, hidden: str
) -> CommunityAccess:
    """As CommunityPermit: an invite-only community is invisible to outsiders, then the action's own check."""
    roles, membership = community_roles(session, community, user)
    frozen = frozenset(roles)
    if community.visibility == Visibility.invite_only:
        check(Action.view_invite_only_community, frozen, user, hidden_message=hidden)
    check(action, frozen, user, hidden_message=hidden, session=session, brand_id=community.brand_id)
    refuse_if_sanctioned(
        session,
        action=action,
        community_id=community.id or 0,
        community_name=community.name,
        user_id=user.id if user is not None else None,
    )
    return CommunityAccess(community=community, user=user, membership=membership, roles=frozen)


def _hides_draft(challenge: Challenge, roles: frozenset[Role]) -> bool:
    return challenge.status == ChallengeStatus.draft and not can(roles, Action.manage_challenge)


class ChallengePermit(PermissionCheck):
    """Depends on ``community_slug`` and ``challenge_slug``; drafts are invisible (404) to all but their managers."""

    def __init__(self, action: Action) -> None:
        self.action = action

    def __call__(
        self, community_slug: str, challenge_slug: str, user: CurrentUser, session: SessionDep
    ) -> ChallengeAccess:
        community = session.exec(communities_service.select_community_by_slug(community_slug)).first()
        if community is None:
            if user is None:  # visitors log in first; anyone logged in (the site admin too) gets the 404
                check(self.action, frozenset(base_roles(user)), user, hidden_message=HIDDEN_COMMUNITY)
            raise NotFound(HIDDEN_COMMUNITY)
        access = _community_access(session, community, user, self.action, hidden=HIDDEN_COMMUNITY)
        challenge = session.exec(challenges_service.select_challenge(community, challenge_slug)).first()
        if challenge is None or _hides_draft(challenge, access.roles):
            raise NotFound(HIDDEN_CHALLENGE)
        return ChallengeAccess(
            community=community, user=user, membership=access.membership, roles=access.roles, challenge=challenge
        )


class DesignPermit(PermissionCheck):
    """Depends on ``design_id``: loads the design, its challenge and community, and checks the roles there.

    Withdrawn or hidden designs are seen only by their designer and the community's moderators and staff.
    """

    def __init__(self, action: Action) -> None:
        self.action = action

    def __call__(self, design_id: RowId, user: CurrentUser, session: SessionDep) -> DesignAccess:
        return load_design_access(session, design_id, user, self.action, hidden=HIDDEN_DESIGN)


def load_design_access(
    session: SessionDep, design_id: RowId, user: User | None, action: Action, *, hidden: str
) -> DesignAccess:
    """DesignPermit's check, for other permits that reach a design through something of theirs (a comment).

    One query loads the design, its challenge and community, and the actor's membership and brand-staff role there
    (outer joins on unique pairs, so one row at most), and the id of a suspension or ban stopping the actor from
    writing there (app.moderation.enforcement); the roles are then those of ``community_roles``.
    """
    user_id = user.id if user is not None else None
    found = session.execute(
        _select_design_access(), {"design_id": design_id, "user_id": user_id, "now": utcnow()}
    ).first()
    if found is None:
        check(action, frozenset(base_roles(user)), user, hidden_message=hidden)
        raise NotFound(hidden)
    design, challenge, community, membership, staff_role, sanction_id = found
    roles = base_roles(user)
    if membership is not None:
        roles.add(Role(membership.role))
    if staff_role is not None:
        roles.add(Role(StaffRole(staff_role)))
    frozen = frozenset(roles)
    if community.visibility == Visibility.invite_only:
        check(Action.view_invite_only_community, frozen, user, hidden_message=hidden)
    check(action, frozen, user, hidden_message=hidden, session=session, brand_id=community.brand_id)
    if _hides_draft(challenge, frozen):
        raise NotFound(hidden)
    refuse_if_sanctioned(
        session,
        action=action,
        community_id=community.id,
        community_name=community.name,
        user_id=user_id,
        sanction_id=sanction_id,
        known=True,
    )
    is_designer = user is not None and design.designer_id == user.id
    may_moderate = Role.moderator in frozen or can(frozen, Action.view_shortlist)
    if design.status != DesignStatus.submitted and not (is_designer or may_moderate):
        raise NotFound(hidden)
    return DesignAccess(
        community=community,
        user=user,
        membership=membership,
        roles=frozen,
        challenge=challenge,
        design=design,
    )


@cache
def _select_design_access() -> Any:
    """Built once, with bound parameters ``design_id``, ``user_id`` (NULL for a visitor: no membership, staff or
    sanction) and ``now``."""
    user_id = bindparam("user_id", type_=Integer)
    sanction_id = active_sanction_id(Community.id, user_id, bindparam("now", type_=UTCDateTime))
    return (
        select(Design, Challenge, Community, Membership, col(BrandStaff.role), sanction_id)
        .join(Challenge, col(Challenge.id) == Design.challenge_id)
        .join(Community, col(Community.id) == Challenge.community_id)
        .outerjoin(Membership, and_(col(Membership.community_id) == Community.id, col(Membership.user_id) == user_id))
        .outerjoin(BrandStaff, and_(col(BrandStaff.brand_id) == Community.brand_id, col(BrandStaff.user_id) == user_id))
        .where(col(Design.id) == bindparam("design_id", type_=Integer))
    )


def challenge_access(action: Action) -> ChallengeAccess:
    """``access: ChallengeAccess = challenge_access(Action.view_challenge)`` in a route's parameters."""
    return Depends(ChallengePermit(action))


def design_access(action: Action) -> DesignAccess:
    """``access: DesignAccess = design_access(Action.score_design)`` in a route's parameters."""
    return Depends(DesignPermit(action))
