"""Load the idea named in the path, with its community, and check the actor's roles there."""

from dataclasses import dataclass

from fastapi import Depends

from app.accounts.deps import CurrentUser, PermissionCheck, base_roles, check
from app.accounts.models import User
from app.columns import RowId
from app.communities.deps import CommunityAccess, community_roles
from app.communities.models import Community, Visibility
from app.db import SessionDep
from app.errors import NotFound
from app.i18n import N_, _
from app.ideas.models import Idea
from app.moderation.enforcement import refuse_if_sanctioned
from app.permissions import Action, can

HIDDEN_IDEA = N_("There is no such idea.")


@dataclass(frozen=True)
class IdeaAccess(CommunityAccess):
    idea: Idea


def load_idea_access(
    session: SessionDep, idea_id: RowId, user: User | None, action: Action, *, hidden: str
) -> IdeaAccess:
    """IdeaPermit's check, for other permits that reach an idea through something of theirs (a comment).

    A hidden idea is seen only by its author and by those who may hide ideas (moderators, the brand's managers).
    """
    idea = session.get(Idea, idea_id)
    community = session.get(Community, idea.community_id) if idea is not None else None
    if idea is None or community is None:
        check(action, frozenset(base_roles(user)), user, hidden_message=hidden)
        raise NotFound(hidden)
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
    is_author = user is not None and idea.author_id == user.id
    if idea.is_hidden and not (is_author or can(frozen, Action.hide_idea)):
        raise NotFound(hidden)
    return IdeaAccess(community=community, user=user, membership=membership, roles=frozen, idea=idea)


class IdeaPermit(PermissionCheck):
    """Depends on ``idea_id``: loads the idea and its community, and checks the roles there."""

    def __init__(self, action: Action) -> None:
        self.action = action

    def __call__(self, idea_id: RowId, user: CurrentUser, session: SessionDep) -> IdeaAccess:
        return load_idea_access(session, idea_id, user, self.action, hidden=_(HIDDEN_IDEA))


def idea_access(action: Action) -> IdeaAccess:
    """``access: IdeaAccess = idea_access(Action.vote_idea)`` in a route's parameters."""
    return Depends(IdeaPermit(action))
