"""Load the community named in the path and work out the actor's roles in it."""

from dataclasses import dataclass

from fastapi import Depends

from app.accounts.deps import CurrentUser, PermissionCheck, base_roles, check
from app.accounts.models import User
from app.brands import service as brands_service
from app.communities import service as communities_service
from app.communities.models import Community, Membership, Visibility
from app.db import SessionDep
from app.errors import NotFound
from app.i18n import _
from app.i18n.context import note_community
from app.moderation.enforcement import refuse_if_sanctioned
from app.permissions import Action, Role, can


@dataclass(frozen=True)
class CommunityAccess:
    community: Community
    user: User | None
    membership: Membership | None
    roles: frozenset[Role]

    def can(self, action: Action) -> bool:
        return can(self.roles, action)


def community_roles(
    session: SessionDep, community: Community, user: User | None
) -> tuple[set[Role], Membership | None]:
    roles = base_roles(user)
    membership = communities_service.get_membership(session, community=community, user=user)
    if membership is not None:
        roles.add(Role(membership.role))
    staff_role = brands_service.staff_role(session, brand_id=community.brand_id, user=user)
    if staff_role is not None:
        roles.add(Role(staff_role))
    return roles, membership


class CommunityPermit(PermissionCheck):
    """Depends on a ``community_slug`` path parameter. An invite-only community is invisible (404) to outsiders."""

    def __init__(self, action: Action) -> None:
        self.action = action

    def __call__(self, community_slug: str, user: CurrentUser, session: SessionDep) -> CommunityAccess:
        hidden = _("There is no such community.")
        community = session.exec(communities_service.select_community_by_slug(community_slug)).first()
        if community is None:
            # Logged-in outsiders get the same 404 for a hidden community as for a missing one. Visitors are sent
            # to log in for a hidden one, so they can tell it exists (by its slug only, never its content). Anyone
            # logged in (the site admin too, whose roles would pass or be refused as an insider's) gets the 404.
            if user is None:
                check(self.action, frozenset(base_roles(user)), user, hidden_message=hidden)
            raise NotFound(hidden)
        roles, membership = community_roles(session, community, user)
        frozen = frozenset(roles)
        if community.visibility == Visibility.invite_only:
            check(Action.view_invite_only_community, frozen, user, hidden_message=hidden)
        check(
            self.action,
            frozen,
            user,
            hidden_message=hidden,
            session=session,
            brand_id=community.brand_id,
        )
        refuse_if_sanctioned(
            session,
            action=self.action,
            community_id=community.id or 0,
            community_name=community.name,
            user_id=user.id if user is not None else None,
        )
        note_community(community.default_locale)  # only once it may be seen: a hidden one's language says nothing
        return CommunityAccess(community=community, user=user, membership=membership, roles=frozen)


def community_access(action: Action) -> CommunityAccess:
    """``access: CommunityAccess = community_access(Action.view_community)`` in a route's parameters."""
    return Depends(CommunityPermit(action))
