"""Load the challenge or design named in the path, with its community, and check the actor's roles in it."""

from dataclasses import dataclass

from fastapi import Depends

from app.accounts.deps import CurrentUser, PermissionCheck, base_roles, check
from app.accounts.models import User
from app.challenges import service as challenges_service
from app.challenges.models import Challenge, ChallengeStatus, Design, DesignStatus
from app.communities import service as communities_service
from app.communities.deps import CommunityAccess, community_roles
from app.communities.models import Community, Visibility
from app.db import SessionDep
from app.errors import NotFound
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
    check(action, frozen, user, hidden_message=hidden)
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

    def __call__(self, design_id: int, user: CurrentUser, session: SessionDep) -> DesignAccess:
        return load_design_access(session, design_id, user, self.action, hidden=HIDDEN_DESIGN)


def load_design_access(
    session: SessionDep, design_id: int, user: User | None, action: Action, *, hidden: str
) -> DesignAccess:
    """DesignPermit's check, for other permits that reach a design through something of theirs (a comment)."""
    design = session.get(Design, design_id)
    challenge = session.get(Challenge, design.challenge_id) if design is not None else None
    community = session.get(Community, challenge.community_id) if challenge is not None else None
    if design is None or challenge is None or community is None:
        check(action, frozenset(base_roles(user)), user, hidden_message=hidden)
        raise NotFound(hidden)
    access = _community_access(session, community, user, action, hidden=hidden)
    if _hides_draft(challenge, access.roles):
        raise NotFound(hidden)
    is_designer = user is not None and design.designer_id == user.id
    may_moderate = Role.moderator in access.roles or can(access.roles, Action.view_shortlist)
    if design.status != DesignStatus.submitted and not (is_designer or may_moderate):
        raise NotFound(hidden)
    return DesignAccess(
        community=community,
        user=user,
        membership=access.membership,
        roles=access.roles,
        challenge=challenge,
        design=design,
    )


def challenge_access(action: Action) -> ChallengeAccess:
    """``access: ChallengeAccess = challenge_access(Action.view_challenge)`` in a route's parameters."""
    return Depends(ChallengePermit(action))


def design_access(action: Action) -> DesignAccess:
    """``access: DesignAccess = design_access(Action.score_design)`` in a route's parameters."""
    return Depends(DesignPermit(action))
