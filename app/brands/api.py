"""JSON API of a brand's staff area: the same services as the pages."""

from fastapi import APIRouter, Response, status

from app.accounts.deps import AccountUser
from app.brands import overview as brands_overview
from app.brands import service as brands_service
from app.brands.deps import BrandAccess, brand_access
from app.brands.schemas import (
    AttentionItemPublic,
    BrandOverviewPublic,
    BrandPublic,
    FigurePublic,
    MoneyPublic,
    StaffAdd,
    StaffedBrand,
    StaffMember,
    StaffTwoFactorPolicy,
    TimelineEntryPublic,
)
from app.communities import service as communities_service
from app.communities.schemas import CommunityCreate, CommunityPublic
from app.db import SessionDep
from app.permissions import Action

router = APIRouter(tags=["brands"])


@router.get("/brands", response_model=list[StaffedBrand], summary="Brands the caller works for")
def my_brands(session: SessionDep, user: AccountUser) -> list[StaffedBrand]:
    return [
        StaffedBrand(**BrandPublic.model_validate(brand).model_dump(), my_role=role)
        for brand, role in brands_service.list_staffed_brands(session, user=user)
    ]


@router.get("/brands/{brand_slug}", response_model=BrandPublic, summary="One brand (staff only)")
def get_brand(access: BrandAccess = brand_access(Action.view_brand)) -> BrandPublic:
    return BrandPublic.model_validate(access.brand)


@router.get(
    "/brands/{brand_slug}/overview",
    response_model=BrandOverviewPublic,
    summary="The brand home: figures with trends, the timeline and what needs attention (staff only)",
)
def get_overview(session: SessionDep, access: BrandAccess = brand_access(Action.view_brand)) -> BrandOverviewPublic:
    """Headline figures against the period before, every challenge and campaign with its phase and next date, and
    the counts waiting for the staff, each with the page that lists them (``url`` is null where the caller's role
    may not open that page)."""
    overview = brands_overview.brand_overview(session, brand=access.brand, roles=access.roles)
    return BrandOverviewPublic(
        slug=access.brand.slug,
        name=access.brand.name,
        now=overview.now,
        figures=[FigurePublic.model_validate(figure) for figure in overview.figures],
        money=MoneyPublic.model_validate(overview.money),
        timeline=[TimelineEntryPublic.model_validate(entry) for entry in overview.timeline],
        attention=[AttentionItemPublic.model_validate(item) for item in overview.attention],
    )


@router.get(
    "/brands/{brand_slug}/communities",
    response_model=list[CommunityPublic],
    summary="A brand's communities, invite-only ones included",
)
def list_communities(
    session: SessionDep, access: BrandAccess = brand_access(Action.view_brand)
) -> list[CommunityPublic]:
    return [
        CommunityPublic.model_validate(c)
        for c in communities_service.list_brand_communities(session, brand=access.brand)
    ]


@router.post(
    "/brands/{brand_slug}/communities",
    status_code=status.HTTP_201_CREATED,
    response_model=CommunityPublic,
    summary="Open a community",
)
def create_community(
    body: CommunityCreate, session: SessionDep, access: BrandAccess = brand_access(Action.create_community)
) -> CommunityPublic:
    community = communities_service.create_community(
        session,
        brand=access.brand,
        name=body.name,
        slug=body.slug,
        tagline=body.tagline,
        description=body.description,
        kind=body.kind,
        visibility=body.visibility,
    )
    return CommunityPublic.model_validate(community)


@router.get("/brands/{brand_slug}/staff", response_model=list[StaffMember], summary="The brand's staff")
def list_staff(session: SessionDep, access: BrandAccess = brand_access(Action.view_brand)) -> list[StaffMember]:
    return [
        StaffMember(handle=user.handle, display_name=user.display_name, email=user.email, role=row.role)
        for row, user in brands_service.list_staff(session, brand=access.brand)
    ]


@router.post(
    "/brands/{brand_slug}/staff",
    status_code=status.HTTP_201_CREATED,
    response_model=StaffMember,
    summary="Add someone to the staff (invited by e-mail if new)",
)
def add_staff(
    body: StaffAdd, session: SessionDep, access: BrandAccess = brand_access(Action.manage_staff)
) -> StaffMember:
    user = brands_service.add_staff(
        session, brand=access.brand, email=body.email, role=body.role, display_name=body.display_name
    )
    return StaffMember(handle=user.handle, display_name=user.display_name, email=user.email, role=body.role)


@router.delete(
    "/brands/{brand_slug}/staff/{handle}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove someone from the staff",
)
def remove_staff(handle: str, session: SessionDep, access: BrandAccess = brand_access(Action.manage_staff)) -> Response:
    brands_service.remove_staff(session, brand=access.brand, handle=handle)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/brands/{brand_slug}/two-factor-policy",
    response_model=StaffTwoFactorPolicy,
    summary="Require (or not) two-factor authentication of the brand's staff",
)
def set_two_factor_policy(
    body: StaffTwoFactorPolicy, session: SessionDep, access: BrandAccess = brand_access(Action.manage_staff)
) -> StaffTwoFactorPolicy:
    """Turning it on needs two-factor on the caller's own account (422 otherwise)."""
    brand = brands_service.set_staff_two_factor_policy(
        session, brand=access.brand, actor=access.user, required=body.require_staff_two_factor
    )
    return StaffTwoFactorPolicy(require_staff_two_factor=brand.require_staff_two_factor)
