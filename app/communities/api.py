"""JSON API for communities: the same services as the pages."""

from fastapi import APIRouter, Query, Response, status

from app.accounts.deps import AccountUser, InvitedUser, Public
from app.brands import service as brands_service
from app.campaigns import lifecycle as campaign_lifecycle
from app.campaigns.models import CampaignPhase
from app.campaigns.schemas import CurrentCampaign
from app.columns import PageNumber, RowId
from app.communities import service as communities_service
from app.communities.deps import CommunityAccess, community_access
from app.communities.models import Community, Membership
from app.communities.schemas import (
    CommunityDetail,
    CommunityPublic,
    CommunityUpdate,
    InviteCreate,
    InvitePublic,
    MemberPublic,
    MembershipPublic,
    MembersPage,
    RoleChange,
)
from app.db import SessionDep
from app.permissions import Action

router = APIRouter(tags=["communities"])


def _membership(membership: Membership, community: Community) -> MembershipPublic:
    return MembershipPublic(community_slug=community.slug, role=membership.role, joined_at=membership.joined_at)


@router.get("/communities", response_model=list[CommunityPublic], summary="Public communities")
def list_communities(session: SessionDep, _visitor: Public) -> list[CommunityPublic]:
    return [CommunityPublic.model_validate(c) for c, _ in communities_service.list_public_communities(session)]


@router.get("/me/memberships", response_model=list[MembershipPublic], summary="The caller's communities")
def my_memberships(session: SessionDep, user: AccountUser) -> list[MembershipPublic]:
    return [_membership(m, c) for m, c in communities_service.list_memberships(session, user=user)]


@router.get("/communities/{community_slug}", response_model=CommunityDetail, summary="One community")
def get_community(
    session: SessionDep, access: CommunityAccess = community_access(Action.view_community)
) -> CommunityDetail:
    brand = brands_service.get_brand_by_id(session, brand_id=access.community.brand_id)
    return CommunityDetail(
        **CommunityPublic.model_validate(access.community).model_dump(),
        brand_slug=brand.slug,
        brand_name=brand.name,
        my_role=access.membership.role if access.membership else None,
        current_campaigns=[
            _current_campaign(row, access.community.slug)
            for row in campaign_lifecycle.current_campaigns(session, community=access.community, user=access.user)
        ],
    )


def _current_campaign(row: campaign_lifecycle.CurrentCampaign, community_slug: str) -> CurrentCampaign:
    campaign = row.campaign
    taking = row.phase == CampaignPhase.applying and row.application is None
    return CurrentCampaign(
        slug=campaign.slug,
        title=campaign.title,
        product_name=campaign.product_name,
        phase=row.phase,
        phase_ends_at=row.phase_ends_at,
        kit_count=campaign.kit_count,
        kits_left=campaign.kit_count - campaign.kits_accepted,
        my_application=row.application.status if row.application else None,
        apply_path=f"/api/v1/communities/{community_slug}/campaigns/{campaign.slug}/application" if taking else None,
    )


@router.patch("/communities/{community_slug}", response_model=CommunityPublic, summary="Edit a community")
def update_community(
    body: CommunityUpdate,
    session: SessionDep,
    access: CommunityAccess = community_access(Action.manage_community),
) -> CommunityPublic:
    community = communities_service.update_community(
        session,
        community=access.community,
        name=body.name,
        tagline=body.tagline,
        description=body.description,
        kind=body.kind,
        visibility=body.visibility,
        default_locale=body.default_locale,
    )
    return CommunityPublic.model_validate(community)


@router.post(
    "/communities/{community_slug}/membership",
    status_code=status.HTTP_201_CREATED,
    response_model=MembershipPublic,
    summary="Join a public community",
)
def join(session: SessionDep, access: CommunityAccess = community_access(Action.join_community)) -> MembershipPublic:
    assert access.user is not None
    membership = communities_service.join_community(session, community=access.community, user=access.user)
    return _membership(membership, access.community)


@router.delete(
    "/communities/{community_slug}/membership",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Leave a community",
)
def leave(session: SessionDep, access: CommunityAccess = community_access(Action.leave_community)) -> Response:
    assert access.user is not None
    communities_service.leave_community(session, community=access.community, user=access.user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/communities/{community_slug}/members", response_model=MembersPage, summary="A community's members")
def list_members(
    session: SessionDep,
    q: str = Query(default="", max_length=100),
    role: str = Query(default="", max_length=20),
    page: PageNumber = 1,
    access: CommunityAccess = community_access(Action.view_members),
) -> MembersPage:
    listing = communities_service.list_members(session, community=access.community, search=q, role=role, page=page)
    return MembersPage(
        members=[
            MemberPublic(handle=u.handle, display_name=u.display_name, role=m.role, joined_at=m.joined_at)
            for m, u in listing.members
        ],
        total=listing.total,
        page=listing.page,
        pages=listing.pages,
    )


@router.put(
    "/communities/{community_slug}/members/{handle}",
    response_model=MembershipPublic,
    summary="Change a member's role",
)
def change_role(
    handle: str,
    body: RoleChange,
    session: SessionDep,
    access: CommunityAccess = community_access(Action.manage_community),
) -> MembershipPublic:
    membership = communities_service.change_member_role(
        session, community=access.community, handle=handle, role=body.role
    )
    return _membership(membership, access.community)


@router.get("/communities/{community_slug}/invites", response_model=list[InvitePublic], summary="Open invite links")
def list_invites(
    session: SessionDep, access: CommunityAccess = community_access(Action.manage_community)
) -> list[InvitePublic]:
    return [
        InvitePublic.model_validate(i) for i in communities_service.list_invites(session, community=access.community)
    ]


@router.post(
    "/communities/{community_slug}/invites",
    status_code=status.HTTP_201_CREATED,
    response_model=InvitePublic,
    summary="Make an invite link",
)
def create_invite(
    body: InviteCreate,
    session: SessionDep,
    access: CommunityAccess = community_access(Action.manage_community),
) -> InvitePublic:
    assert access.user is not None
    invite = communities_service.create_invite(
        session,
        community=access.community,
        created_by=access.user,
        note=body.note,
        max_uses=body.max_uses,
        expires_in_days=body.expires_in_days,
    )
    return InvitePublic.model_validate(invite)


@router.delete(
    "/communities/{community_slug}/invites/{invite_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Withdraw an invite link",
)
def revoke_invite(
    invite_id: RowId, session: SessionDep, access: CommunityAccess = community_access(Action.manage_community)
) -> Response:
    communities_service.revoke_invite(session, community=access.community, invite_id=invite_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/invites/{code}/accept",
    status_code=status.HTTP_201_CREATED,
    response_model=MembershipPublic,
    summary="Join a community with an invite code",
)
def accept_invite(code: str, session: SessionDep, user: InvitedUser) -> MembershipPublic:
    community = communities_service.join_by_invite(session, code=code, user=user)
    membership = communities_service.get_membership(session, community=community, user=user)
    assert membership is not None
    return _membership(membership, community)
