"""JSON API for pre-orders: the same services as the pages."""

from fastapi import APIRouter, Response, status
from sqlmodel import Session

from app.brands.deps import BrandAccess, brand_access
from app.campaigns.households import ADDRESS_FIELDS, Address
from app.challenges.models import Product
from app.columns import RowId, utcnow
from app.communities.deps import CommunityAccess, community_access
from app.db import SessionDep
from app.errors import Conflict, NotFound
from app.i18n import _
from app.permissions import Action
from app.preorders import outcomes, pledges, schemas
from app.preorders import service as preorders_service
from app.preorders.models import Pledge, Preorder

router = APIRouter(tags=["pre-orders"])
PRODUCT = "/communities/{community_slug}/products/{product_id}"
MANAGE = "/brands/{brand_slug}/products/{product_id}/preorder"


def _preorder(preorder: Preorder) -> schemas.PreorderPublic:
    progress = preorders_service.progress_of(preorder, now=utcnow())
    return schemas.PreorderPublic(
        status=preorder.status,
        pledged_count=preorder.pledged_count,
        target_count=preorder.target_count,
        stock_limit=preorder.stock_limit,
        left_in_stock=progress.left_in_stock,
        variants=preorder.variants,
        price_minor=preorder.price_minor,
        currency=preorder.currency,
        deadline_at=preorder.deadline_at,
        funded_at=preorder.funded_at,
        closed=progress.closed,
        summary=progress.summary(utcnow()),
    )


def _detail(session: Session, product: Product, preorder: Preorder) -> schemas.PreorderDetail:
    counts = preorders_service.variant_counts(session, preorder=preorder)
    return schemas.PreorderDetail(
        **_preorder(preorder).model_dump(),
        product_id=product.id or 0,
        product_name=product.name,
        variant_counts=[schemas.VariantCount(variant=v, pledges=c, items=i) for v, c, i in counts],
    )


def _pledge(row: Pledge, preorder: Preorder) -> schemas.PledgePublic:
    return schemas.PledgePublic(
        **{name: getattr(row, name) for name in ADDRESS_FIELDS},
        variant=row.variant,
        quantity=row.quantity,
        created_at=row.created_at,
        updated_at=row.updated_at,
        preorder=_preorder(preorder),
    )


def _community_preorder(session: Session, access: CommunityAccess, product_id: int) -> tuple[Product, Preorder]:
    product = preorders_service.get_community_product(session, community=access.community, product_id=product_id)
    preorder = preorders_service.get_preorder(session, product=product)
    if preorder is None:
        raise Conflict(_("%(product)s is not on pre-order.", product=product.name))
    return product, preorder


# --- The product and one's pledge ---------------------------------------------------------------------------------


@router.get(PRODUCT, response_model=schemas.ProductPublic, summary="A product, with its pre-order")
def get_product(
    session: SessionDep, product_id: RowId, access: CommunityAccess = community_access(Action.view_challenge)
) -> schemas.ProductPublic:
    product = preorders_service.get_community_product(session, community=access.community, product_id=product_id)
    page = preorders_service.product_page(session, community=access.community, product=product)
    return schemas.ProductPublic(
        id=product.id or 0,
        name=product.name,
        community_slug=access.community.slug,
        design_id=product.design_id,
        design_title=page.design.title if page.design else None,
        designer_handle=page.designer.handle if page.designer else None,
        image_urls=page.image_urls,
        preorder=_preorder(page.preorder) if page.preorder else None,
    )


@router.get(PRODUCT + "/pledge", response_model=schemas.PledgePublic, summary="My pledge")
def get_pledge(
    session: SessionDep, product_id: RowId, access: CommunityAccess = community_access(Action.pledge_preorder)
) -> schemas.PledgePublic:
    assert access.user is not None
    _product, preorder = _community_preorder(session, access, product_id)
    row = pledges.own_pledge(session, preorder=preorder, user=access.user)
    if row is None:
        raise NotFound(_("You have not pledged to this pre-order."))
    return _pledge(row, preorder)


@router.put(PRODUCT + "/pledge", response_model=schemas.PledgePublic, summary="Pledge, or change my pledge")
def put_pledge(
    body: schemas.PledgeWrite,
    session: SessionDep,
    product_id: RowId,
    access: CommunityAccess = community_access(Action.pledge_preorder),
) -> schemas.PledgePublic:
    """Nothing is charged: a pledge is a commitment to buy if the product is made. Once the pre-order is funded a
    pledge may grow or change but not shrink."""
    assert access.user is not None
    _product, preorder = _community_preorder(session, access, product_id)
    row = pledges.pledge(
        session,
        preorder=preorder,
        community=access.community,
        user=access.user,
        variant=body.variant,
        quantity=body.quantity,
        address=Address(**{name: getattr(body, name) for name in ADDRESS_FIELDS}),
    )
    return _pledge(row, preorder)


@router.delete(PRODUCT + "/pledge", response_model=schemas.PreorderPublic, summary="Withdraw my pledge")
def delete_pledge(
    session: SessionDep, product_id: RowId, access: CommunityAccess = community_access(Action.pledge_preorder)
) -> schemas.PreorderPublic:
    """Until the deadline, and not once the pre-order is funded; the address given is erased."""
    assert access.user is not None
    _product, preorder = _community_preorder(session, access, product_id)
    pledges.withdraw(session, preorder=preorder, community=access.community, user=access.user)
    return _preorder(preorder)


# --- The brand's side -------------------------------------------------------------------------------------------


@router.get(MANAGE, response_model=schemas.PreorderDetail, summary="A product's pre-order and its figures")
def get_preorder(
    session: SessionDep, product_id: RowId, access: BrandAccess = brand_access(Action.view_rewards)
) -> schemas.PreorderDetail:
    product = preorders_service.get_brand_product(session, brand=access.brand, product_id=product_id)
    preorder = preorders_service.get_preorder(session, product=product)
    if preorder is None:
        raise NotFound(_("%(product)s is not on pre-order.", product=product.name))
    return _detail(session, product, preorder)


@router.post(
    MANAGE,
    response_model=schemas.PreorderDetail,
    status_code=status.HTTP_201_CREATED,
    summary="Open a product for pre-order",
)
def open_preorder(
    body: schemas.PreorderOpen,
    session: SessionDep,
    product_id: RowId,
    access: BrandAccess = brand_access(Action.manage_rewards),
) -> schemas.PreorderDetail:
    """Everyone who said "I'd buy it" for the product's design is told; the ``preorder_opened`` webhook is sent."""
    product = preorders_service.get_brand_product(session, brand=access.brand, product_id=product_id)
    preorder = preorders_service.open_preorder(
        session,
        brand=access.brand,
        product=product,
        actor=access.user,
        fields=preorders_service.PreorderFields(
            target_count=body.target_count,
            deadline_at=body.deadline_at,
            price=body.price,
            variants=body.variants,
            stock_limit=body.stock_limit,
        ),
    )
    return _detail(session, product, preorder)


@router.get(
    MANAGE + "/pledges.csv",
    summary="The funded pledges with shipping addresses (CSV)",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "The kits CSV's columns, one pledge a row"}  # i18n: ignore
    },
)
def pledges_csv(
    session: SessionDep, product_id: RowId, access: BrandAccess = brand_access(Action.manage_rewards)
) -> Response:
    product = preorders_service.get_brand_product(session, brand=access.brand, product_id=product_id)
    preorder = preorders_service.get_preorder(session, product=product)
    if preorder is None:
        raise Conflict(_("%(product)s is not on pre-order.", product=product.name))
    return Response(
        outcomes.export_pledges_csv(session, preorder=preorder, product=product),
        media_type="text/csv; charset=utf-8",  # i18n: ignore
        headers={"Content-Disposition": f'attachment; filename="product-{product.id}-pledges.csv"'},  # i18n: ignore
    )
