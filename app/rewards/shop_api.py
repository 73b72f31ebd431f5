"""JSON routes for a designer's shop and their own royalties per product: the same services as the portfolio."""

from fastapi import APIRouter

from app.accounts import service as accounts_service
from app.accounts.deps import AccountUser, Public
from app.columns import id_of
from app.db import SessionDep
from app.rewards import schemas
from app.rewards import shop as rewards_shop

router = APIRouter(tags=["rewards"])


@router.get(
    "/users/{handle}/shop",
    response_model=list[schemas.ShopProductPublic],
    summary="A designer's products on sale, with price and store link",
)
def designer_shop(handle: str, session: SessionDep, _viewer: Public) -> list[schemas.ShopProductPublic]:
    designer = accounts_service.get_user_by_handle(session, handle=handle)
    return [
        schemas.ShopProductPublic(
            id=id_of(item.product),
            name=item.product.name,
            brand_name=item.brand.name,
            design_id=item.product.design_id,
            price_minor=item.price_minor,
            currency=item.currency,
            store_url=item.store_url,
            availability=item.availability,
            preorder_url=item.preorder_url,
        )
        for item in rewards_shop.list_shop_products(session, designer=designer)
    ]


@router.get(
    "/me/royalties",
    response_model=list[schemas.ProductRoyaltyPublic],
    summary="Your royalties per product, from the ledger",
)
def my_royalties(session: SessionDep, user: AccountUser) -> list[schemas.ProductRoyaltyPublic]:
    return [
        schemas.ProductRoyaltyPublic(
            product_id=id_of(line.product),
            product_name=line.product.name,
            currency=line.currency,
            units=line.units,
            royalty_minor=line.royalty_minor,
        )
        for line in rewards_shop.royalties_by_product(session, designer=user)
    ]
