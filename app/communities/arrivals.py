"""Where a sign-up came from: the community a referral link or a campaign share link leads to.

The sign-up page names it ("Join Brightleaf Home Testers on Chorus"), the e-mail confirmation link carries it
(signed, inside the token, so it works in another browser too), and confirming lands the new member in it: joined
when it is public, on its page (which says how to get in) when it is invite-only. The referral itself is credited
at sign-up, as before; a share link's sign-up is counted when the member joins through it.
"""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.campaigns import links as share_links
from app.communities import service as communities_service
from app.communities.models import Community, Membership, Visibility
from app.errors import Conflict, NotFound
from app.rewards import referrals as rewards_referrals
from app.rewards.models import ReferralCode


@dataclass(frozen=True)
class Arrival:
    community: Community
    share_code: str = ""  # the campaign share link the visitor came through, if that is how


def _referrers_community(session: Session, referral: ReferralCode) -> Community | None:
    """The brand's community the referrer belongs to (public ones first, then the one joined first); a brand's
    public community when the referrer has left them all."""
    joined = session.exec(
        select(Community)
        .join(Membership, col(Membership.community_id) == Community.id)
        .where(Community.brand_id == referral.brand_id, Membership.user_id == referral.user_id)
        .order_by(col(Community.visibility) != Visibility.public, col(Membership.joined_at), col(Community.id))
    ).first()
    if joined is not None:
        return joined
    return session.exec(
        select(Community)
        .where(Community.brand_id == referral.brand_id, Community.visibility == Visibility.public)
        .order_by(col(Community.id))
    ).first()


def find_arrival(session: Session, *, share_code: str = "", referral_code: str = "") -> Arrival | None:
    """The community a visitor is signing up for: a share link's campaign community, else the referral link's;
    None for an unknown code (the sign-up then goes on as a plain one)."""
    if share_code:
        try:
            link, _, linked = share_links.get_link(session, code=share_code)
        except NotFound:
            pass
        else:
            return Arrival(community=linked, share_code=link.code)
    if referral_code:
        referral = rewards_referrals.find_referral_code(session, code=referral_code)
        referred = _referrers_community(session, referral) if referral is not None else None
        if referred is not None:
            return Arrival(community=referred)
    return None


@dataclass(frozen=True)
class Landing:
    community: Community
    joined: bool  # False: invite-only, so the member lands on its page to ask for an invite


def land(session: Session, *, user: User, community_id: int, share_code: str = "") -> Landing | None:
    """Bring a member who just confirmed their address into the community they signed up for (None when it is
    gone); joining through a share link counts the sign-up for the link, its senders and connector."""
    community = session.get(Community, community_id)
    if community is None:
        return None
    if community.visibility != Visibility.public:
        return Landing(community=community, joined=False)
    if communities_service.get_membership(session, community=community, user=user) is not None:
        return Landing(community=community, joined=True)
    try:
        if not _join_through_link(session, user=user, community=community, share_code=share_code):
            communities_service.join_community(session, community=community, user=user)
    except Conflict:  # joined in another tab just now
        pass
    return Landing(community=community, joined=True)


def _join_through_link(session: Session, *, user: User, community: Community, share_code: str) -> bool:
    """Join through the share link when it is one of this community's; False when there is no such link."""
    if not share_code:
        return False
    try:
        link, campaign, link_community = share_links.get_link(session, code=share_code)
    except NotFound:
        return False
    if link_community.id != community.id:
        return False
    share_links.join_through_link(session, link=link, campaign=campaign, community=community, user=user)
    return True
