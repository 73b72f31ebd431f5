"""Site administration pages: the brands on this Chorus and creating one with its first manager."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.deps import SiteAdmin
from app.brands import service as brands_service
from app.db import SessionDep
from app.errors import AppError
from app.i18n import _
from app.web import flash
from app.web.forms import form_error
from app.web.requests import redirect
from app.web.templating import render

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]


@router.get("/admin", name="admin:home")
def admin_home(request: Request, session: SessionDep, _admin: SiteAdmin) -> Response:
    return render(request, "admin/home.html", {"brands": brands_service.list_brands(session), "form": {}})


@router.post("/admin/brands", name="admin:create_brand")
def create_brand(
    request: Request,
    session: SessionDep,
    _admin: SiteAdmin,
    name: FormText = "",
    slug: FormText = "",
    description: FormText = "",
    first_manager_email: FormText = "",
    first_manager_name: FormText = "",
) -> Response:
    form = {
        "name": name,
        "slug": slug,
        "description": description,
        "first_manager_email": first_manager_email,
        "first_manager_name": first_manager_name,
    }
    try:
        brand, manager = brands_service.create_brand(
            session,
            name=name,
            slug=slug,
            description=description,
            first_manager_email=first_manager_email,
            first_manager_name=first_manager_name,
        )
    except AppError as error:
        context = {"brands": brands_service.list_brands(session), "form": form}
        return form_error(request, session, "admin/home.html", context, error)
    response = redirect(request, f"/brands/{brand.slug}")
    flash.add(
        response,
        request,
        _(
            "%(brand)s is created; %(name)s (%(email)s) is its owner.",
            brand=brand.name,
            name=manager.display_name,
            email=manager.email,
        ),
    )
    return response
