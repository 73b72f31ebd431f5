"""HTML pages of a brand's staff area."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import object_session
from sqlmodel import Session

from app.accounts.models import User
from app.brands import overview as brands_overview
from app.brands import service as brands_service
from app.brands import weekly_results
from app.brands.deps import BrandAccess, brand_access
from app.brands.models import StaffRole
from app.communities import service as communities_service
from app.communities.models import CommunityKind, Visibility
from app.db import SessionDep
from app.errors import AppError, Invalid
from app.i18n import _
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind
from app.permissions import Action
from app.web import flash
from app.web.forms import form_error
from app.web.requests import redirect
from app.web.templating import render, templates

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]


def staff_home(user: User | None) -> str | None:
    """Where the header's "Staff" link leads: the home of the first brand (by name) the user works for, whose page
    lists the others; None for someone on no brand's staff. Read through the session that loaded the user (the
    request's), so it costs one indexed query and no connection of its own."""
    session = object_session(user) if user is not None else None
    if user is None or not isinstance(session, Session):
        return None
    slug = brands_service.first_staffed_brand_slug(session, user=user)
    return f"/brands/{slug}" if slug else None


templates.env.globals["staff_home"] = staff_home
notifications_service.register_audience(NotificationKind.brand_results, weekly_results.concerns)


@router.get("/brands/{brand_slug}", name="brands:dashboard")
def dashboard(request: Request, session: SessionDep, access: BrandAccess = brand_access(Action.view_brand)) -> Response:
    """The brand home: what needs attention, the figures, the timeline, and the communities."""
    communities = communities_service.list_brand_communities(session, brand=access.brand)
    other_brands = [
        brand
        for brand, _role in brands_service.list_staffed_brands(session, user=access.user)
        if brand.id != access.brand.id
    ]
    context = {
        "brand": access.brand,
        "communities": communities,
        "overview": brands_overview.brand_overview(session, brand=access.brand, roles=access.roles),
        "other_brands": other_brands,
        "access": access,
        "Action": Action,
    }
    return render(request, "brands/dashboard.html", context)


def _new_community_context(access: BrandAccess, form: dict[str, str]) -> dict[str, object]:
    return {
        "brand": access.brand,
        "form": form,
        "kinds": list(CommunityKind),
        "visibilities": list(Visibility),
    }


@router.get("/brands/{brand_slug}/communities/new", name="brands:new_community")
def new_community_page(request: Request, access: BrandAccess = brand_access(Action.create_community)) -> Response:
    form = {"kind": CommunityKind.both.value, "visibility": Visibility.public.value}
    return render(request, "brands/new_community.html", _new_community_context(access, form))


@router.post("/brands/{brand_slug}/communities/new")
def create_community(
    request: Request,
    session: SessionDep,
    name: FormText = "",
    slug: FormText = "",
    tagline: FormText = "",
    description: FormText = "",
    kind: FormText = "",
    visibility: FormText = "",
    access: BrandAccess = brand_access(Action.create_community),
) -> Response:
    form = {
        "name": name,
        "slug": slug,
        "tagline": tagline,
        "description": description,
        "kind": kind,
        "visibility": visibility,
    }
    try:
        community = communities_service.create_community(
            session,
            brand=access.brand,
            name=name,
            slug=slug,
            tagline=tagline,
            description=description,
            kind=kind,
            visibility=visibility,
        )
    except AppError as error:
        return form_error(request, session, "brands/new_community.html", _new_community_context(access, form), error)
    response = redirect(request, f"/c/{community.slug}")
    flash.add(response, request, _("%(community)s is open.", community=community.name))
    return response


def _staff_context(session: SessionDep, access: BrandAccess, form: dict[str, str]) -> dict[str, object]:
    return {
        "brand": access.brand,
        "staff": brands_service.list_staff(session, brand=access.brand),
        "form": form,
        "roles": list(StaffRole),
        "role_label": brands_service.role_label,
        "access": access,
        "Action": Action,
    }


@router.get("/brands/{brand_slug}/staff", name="brands:staff")
def staff_page(
    request: Request, session: SessionDep, access: BrandAccess = brand_access(Action.view_brand)
) -> Response:
    return render(request, "brands/staff.html", _staff_context(session, access, {"role": StaffRole.analyst}))


@router.post("/brands/{brand_slug}/staff")
def add_staff(
    request: Request,
    session: SessionDep,
    email: FormText = "",
    role: FormText = "",
    display_name: FormText = "",
    access: BrandAccess = brand_access(Action.manage_staff),
) -> Response:
    form = {"email": email, "role": role, "display_name": display_name}
    try:
        if role not in StaffRole.__members__:
            raise Invalid(
                _("Please correct the marked fields."), fields={"role": _("Choose owner, manager or analyst.")}
            )
        user = brands_service.add_staff(
            session, brand=access.brand, email=email, role=StaffRole(role), display_name=display_name
        )
    except AppError as error:
        return form_error(request, session, "brands/staff.html", _staff_context(session, access, form), error)
    response = redirect(request, f"/brands/{access.brand.slug}/staff")
    flash.add(
        response,
        request,
        _(
            "%(name)s is now %(role)s of %(brand)s.",
            name=user.display_name,
            role=brands_service.role_label(role),
            brand=access.brand.name,
        ),
    )
    return response


@router.post("/brands/{brand_slug}/staff/two-factor", name="brands:two_factor_policy")
def set_two_factor_policy(
    request: Request,
    session: SessionDep,
    require_staff_two_factor: FormText = "",
    access: BrandAccess = brand_access(Action.manage_staff),
) -> Response:
    required = require_staff_two_factor == "on"
    try:
        brands_service.set_staff_two_factor_policy(session, brand=access.brand, actor=access.user, required=required)
    except AppError as error:
        context = {**_staff_context(session, access, {"role": StaffRole.analyst}), "policy_error": True}
        return form_error(request, session, "brands/staff.html", context, error)
    response = redirect(request, f"/brands/{access.brand.slug}/staff")
    message = _("Staff now need two-factor authentication.") if required else _("Staff no longer need two-factor.")
    flash.add(response, request, message)
    return response


@router.post("/brands/{brand_slug}/staff/{handle}/remove", name="brands:remove_staff")
def remove_staff(
    request: Request,
    handle: str,
    session: SessionDep,
    access: BrandAccess = brand_access(Action.manage_staff),
) -> Response:
    try:
        brands_service.remove_staff(session, brand=access.brand, handle=handle)
    except AppError as error:
        return form_error(request, session, "brands/staff.html", _staff_context(session, access, {}), error)
    response = redirect(request, f"/brands/{access.brand.slug}/staff")
    flash.add(response, request, _("@%(handle)s is no longer on the staff.", handle=handle), "info")
    return response
