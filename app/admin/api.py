"""JSON API for site administration."""

from fastapi import APIRouter, status

from app.accounts.deps import SiteAdmin
from app.brands import service as brands_service
from app.brands.schemas import BrandCreate, BrandPublic
from app.db import SessionDep

router = APIRouter(tags=["admin"])


@router.get("/admin/brands", response_model=list[BrandPublic], summary="Every brand (site admins)")
def list_brands(session: SessionDep, _admin: SiteAdmin) -> list[BrandPublic]:
    return [BrandPublic.model_validate(brand) for brand in brands_service.list_brands(session)]


@router.post(
    "/admin/brands",
    status_code=status.HTTP_201_CREATED,
    response_model=BrandPublic,
    summary="Create a brand and its first manager (site admins)",
)
def create_brand(body: BrandCreate, session: SessionDep, _admin: SiteAdmin) -> BrandPublic:
    brand, _ = brands_service.create_brand(
        session,
        name=body.name,
        slug=body.slug,
        description=body.description,
        first_manager_email=body.first_manager_email,
        first_manager_name=body.first_manager_name,
    )
    return BrandPublic.model_validate(brand)
