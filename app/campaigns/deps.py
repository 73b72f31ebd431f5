"""Load the campaign named in the path, with its community, and check the actor's roles there."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from app.accounts.deps import CurrentUser, PermissionCheck, Permit, base_roles, check
from app.accounts.models import User
from app.campaigns import lifecycle as campaign_lifecycle
from app.campaigns.models import Campaign, CampaignStatus
from app.communities import service as communities_service
from app.communities.deps import CommunityAccess, community_roles
from app.communities.models import Visibility
from app.db import SessionDep
from app.errors import NotFound
from app.i18n import N_, _
from app.moderation.enforcement import refuse_if_sanctioned
from app.permissions import Action, can

HIDDEN_COMMUNITY = N_("There is no such community.")
HIDDEN_CAMPAIGN = N_("There is no such campaign.")


@dataclass(frozen=True)
class CampaignAccess(CommunityAccess):
    campaign: Campaign


class CampaignPermit(PermissionCheck):
    """Depends on ``community_slug`` and ``campaign_slug``; drafts are invisible (404) to all but the brand's staff."""

    def __init__(self, action: Action) -> None:
        self.action = action

    def __call__(
        self, community_slug: str, campaign_slug: str, user: CurrentUser, session: SessionDep
    ) -> CampaignAccess:
        community = session.exec(communities_service.select_community_by_slug(community_slug)).first()
        if community is None:
            if user is None:  # visitors log in first; anyone logged in (the site admin too) gets the 404
                check(self.action, frozenset(base_roles(user)), user, hidden_message=_(HIDDEN_COMMUNITY))
            raise NotFound(_(HIDDEN_COMMUNITY))
        roles, membership = community_roles(session, community, user)
        frozen = frozenset(roles)
        if community.visibility == Visibility.invite_only:
            check(Action.view_invite_only_community, frozen, user, hidden_message=_(HIDDEN_COMMUNITY))
        check(
            self.action, frozen, user, hidden_message=_(HIDDEN_COMMUNITY), session=session, brand_id=community.brand_id
        )
        refuse_if_sanctioned(
            session,
            action=self.action,
            community_id=community.id or 0,
            community_name=community.name,
            user_id=user.id if user is not None else None,
        )
        campaign = session.exec(campaign_lifecycle.select_campaign(community, campaign_slug)).first()
        if campaign is None or (
            campaign.status == CampaignStatus.draft and not can(frozen, Action.view_campaign_progress)
        ):
            raise NotFound(_(HIDDEN_CAMPAIGN))
        return CampaignAccess(community=community, user=user, membership=membership, roles=frozen, campaign=campaign)


def campaign_access(action: Action) -> CampaignAccess:
    """``access: CampaignAccess = campaign_access(Action.view_campaign)`` in a route's parameters."""
    return Depends(CampaignPermit(action))


def _joining(user: User | None = Depends(Permit(Action.join_community))) -> User:
    assert user is not None  # Permit raised LoginRequired otherwise
    return user


# Someone logged in, joining a campaign's community from a share link (the service checks the community).
JoiningUser = Annotated[User, Depends(_joining)]
