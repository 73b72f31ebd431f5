"""HTML pages for pre-orders: the public product page with its pre-order panel (pledging swaps the panel with htmx),
and the brand's page to open a product for pre-order and download the funded pledges."""

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.brands.deps import BrandAccess, brand_access
from app.campaigns.households import ADDRESS_FIELDS, Address
from app.challenges.models import Product
from app.columns import RowId, utcnow
from app.communities.deps import CommunityAccess, community_access
from app.db import SessionDep
from app.errors import AppError, Conflict, Invalid
from app.i18n import _
from app.permissions import Action
from app.preorders import outcomes, pledges
from app.preorders import service as preorders_service
from app.preorders.models import Preorder
from app.rewards import terms as rewards_terms
from app.web import flash
from app.web.forms import form_error
from app.web.requests import redirect
from app.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]
PRODUCT = "/c/{community_slug}/products/{product_id}"
MANAGE = "/brands/{brand_slug}/rewards/products/{product_id}/preorder"


# --- The product page and pledging --------------------------------------------------------------------------------


def _product_context(session: Session, access: CommunityAccess, product: Product, **extra: object) -> dict[str, Any]:
    page = preorders_service.product_page(session, community=access.community, product=product)
    mine = None
    if page.preorder is not None and access.user is not None:
        mine = pledges.own_pledge(session, preorder=page.preorder, user=access.user)
    form = extra.pop("form", None)
    if form is None:
        form = {name: getattr(mine, name) for name in ADDRESS_FIELDS} if mine else {}
        if mine is not None:
            form.update(variant=mine.variant, quantity=str(mine.quantity))
    return {
        "community": access.community,
        "access": access,
        "Action": Action,
        "page": page,
        "mine": mine,
        "mine_total": pledges.pledge_total(mine, page.preorder) if mine and page.preorder else "",
        "form": form,
        "now": utcnow(),
        "max_quantity": pledges.MAX_QUANTITY,
        "variant_options": [(variant, variant) for variant in page.preorder.variants] if page.preorder else [],
        **extra,
    }


@router.get(PRODUCT, name="preorders:product")
def product_page(
    request: Request,
    session: SessionDep,
    product_id: RowId,
    access: CommunityAccess = community_access(Action.view_challenge),
) -> Response:
    product = preorders_service.get_community_product(session, community=access.community, product_id=product_id)
    return render(request, "preorders/product.html", _product_context(session, access, product), block="panel")


def _pledge_form(
    variant: FormText = "",
    quantity: FormText = "",
    recipient_name: FormText = "",
    address_line1: FormText = "",
    address_line2: FormText = "",
    city: FormText = "",
    postcode: FormText = "",
    country: FormText = "",
) -> dict[str, str]:
    return dict(locals())


PledgeForm = Annotated[dict[str, str], Depends(_pledge_form)]


def _open_preorder(session: Session, access: CommunityAccess, product_id: int) -> tuple[Product, Preorder]:
    product = preorders_service.get_community_product(session, community=access.community, product_id=product_id)
    preorder = preorders_service.get_preorder(session, product=product)
    if preorder is None:
        raise Conflict(_("%(product)s is not on pre-order.", product=product.name))
    return product, preorder


def _after_pledge(request: Request, session: Session, access: CommunityAccess, product: Product, text: str) -> Response:
    """htmx swaps the panel in place (the bar moves); a plain form post goes back to the page."""
    if is_htmx(request):
        toast = json.dumps({"chorus:toast": {"message": text, "level": "success"}})
        context = _product_context(session, access, product)
        return render(request, "preorders/product.html", context, block="panel", headers={"HX-Trigger": toast})
    response = redirect(request, preorders_service.product_url(access.community, product))
    flash.add(response, request, text)
    return response


@router.post(PRODUCT + "/pledge", name="preorders:pledge")
def pledge(
    request: Request,
    session: SessionDep,
    product_id: RowId,
    form: PledgeForm,
    access: CommunityAccess = community_access(Action.pledge_preorder),
) -> Response:
    assert access.user is not None
    product = preorders_service.get_community_product(session, community=access.community, product_id=product_id)
    try:
        _product, preorder = _open_preorder(session, access, product_id)
        quantity = form["quantity"].strip()
        if not quantity.isdigit():
            raise Invalid(
                _("Please correct the marked fields."), fields={"quantity": _("Give a whole number of items.")}
            )
        had_pledge = pledges.own_pledge(session, preorder=preorder, user=access.user) is not None
        pledges.pledge(
            session,
            preorder=preorder,
            community=access.community,
            user=access.user,
            variant=form["variant"],
            quantity=int(quantity),
            address=Address(**{name: form[name] for name in ADDRESS_FIELDS}),
        )
    except AppError as error:
        session.rollback()  # what the attempt wrote is undone before the panel is read again
        context = _product_context(session, access, product, form=form)
        return form_error(request, session, "preorders/product.html", context, error, block="panel")
    text = _("Your pledge is changed.") if had_pledge else _("Thank you: your pledge is in. Nothing is charged now.")
    return _after_pledge(request, session, access, product, text)


@router.post(PRODUCT + "/pledge/withdraw", name="preorders:withdraw")
def withdraw(
    request: Request,
    session: SessionDep,
    product_id: RowId,
    access: CommunityAccess = community_access(Action.pledge_preorder),
) -> Response:
    assert access.user is not None
    product = preorders_service.get_community_product(session, community=access.community, product_id=product_id)
    try:
        _product, preorder = _open_preorder(session, access, product_id)
        pledges.withdraw(session, preorder=preorder, community=access.community, user=access.user)
    except AppError as error:
        session.rollback()
        context = _product_context(session, access, product)
        return form_error(request, session, "preorders/product.html", context, error, block="panel")
    return _after_pledge(request, session, access, product, _("Your pledge is withdrawn and your address erased."))


# --- The brand's side: opening a pre-order, the figures, the fulfilment file --------------------------------------


def _manage_context(session: Session, access: BrandAccess, product: Product, **extra: object) -> dict[str, Any]:
    preorder = preorders_service.get_preorder(session, product=product)
    now = utcnow()
    return {
        "brand": access.brand,
        "access": access,
        "Action": Action,
        "tab": "overview",
        "product": product,
        "preorder": preorder,
        "progress": preorders_service.progress_of(preorder, now=now) if preorder else None,
        "variant_counts": preorders_service.variant_counts(session, preorder=preorder) if preorder else [],
        "currency": rewards_terms.get_reward_settings(session, brand=access.brand).currency,
        "can_open": product.design_id is not None,
        "community_slug": preorders_service.community_slug(session, preorder=preorder) if preorder else "",
        "form": extra.pop("form", None) or {"variants": "S, M, L, XL"},
        "now": now,
        **extra,
    }


@router.get(MANAGE, name="preorders:manage")
def manage_page(
    request: Request,
    session: SessionDep,
    product_id: RowId,
    access: BrandAccess = brand_access(Action.view_rewards),
) -> Response:
    product = preorders_service.get_brand_product(session, brand=access.brand, product_id=product_id)
    return render(request, "preorders/manage.html", _manage_context(session, access, product))


def _whole_number(text: str, name: str, errors: dict[str, str], *, optional: bool = False) -> int | None:
    text = text.strip()
    if not text and optional:
        return None
    if not text.isdigit() or len(text) > 9:
        errors[name] = _("Give a whole number.") if not optional else _("Give a whole number, or leave it empty.")
        return None
    return int(text)


def parse_preorder_form(form: dict[str, str]) -> preorders_service.PreorderFields:
    """The opening form's text as fields (Invalid with the marked fields when a number or the date is not one)."""
    errors: dict[str, str] = {}
    target = _whole_number(form["target_count"], "target_count", errors)
    stock = _whole_number(form["stock_limit"], "stock_limit", errors, optional=True)
    deadline = None
    try:
        deadline = datetime.fromisoformat(form["deadline_at"].strip()).replace(tzinfo=UTC)
    except ValueError:
        errors["deadline_at"] = _("Give the date and time the pre-order closes (UTC).")
    if errors or target is None or deadline is None:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
    return preorders_service.PreorderFields(
        target_count=target,
        stock_limit=stock,
        deadline_at=deadline,
        price=form["price"],
        variants=preorders_service.parse_variants(form["variants"]),
    )


@router.post(MANAGE)
def open_preorder(
    request: Request,
    session: SessionDep,
    product_id: RowId,
    target_count: FormText = "",
    deadline_at: FormText = "",
    price: FormText = "",
    variants: FormText = "",
    stock_limit: FormText = "",
    access: BrandAccess = brand_access(Action.manage_rewards),
) -> Response:
    product = preorders_service.get_brand_product(session, brand=access.brand, product_id=product_id)
    form = {
        "target_count": target_count,
        "deadline_at": deadline_at,
        "price": price,
        "variants": variants,
        "stock_limit": stock_limit,
    }
    try:
        preorders_service.open_preorder(
            session, brand=access.brand, product=product, actor=access.user, fields=parse_preorder_form(form)
        )
    except AppError as error:
        context = _manage_context(session, access, product, form=form)
        return form_error(request, session, "preorders/manage.html", context, error)
    response = redirect(request, MANAGE.format(brand_slug=access.brand.slug, product_id=product.id))
    flash.add(
        response,
        request,
        _("%(product)s is on pre-order; everyone who said they'd buy it is told.", product=product.name),
    )
    return response


@router.get(MANAGE + "/pledges.csv", name="preorders:pledges_csv")
def pledges_csv(
    session: SessionDep, product_id: RowId, access: BrandAccess = brand_access(Action.manage_rewards)
) -> Response:
    """The funded pledges with shipping addresses, for the fulfilment house."""
    product = preorders_service.get_brand_product(session, brand=access.brand, product_id=product_id)
    preorder = preorders_service.get_preorder(session, product=product)
    if preorder is None:
        raise Conflict(_("%(product)s is not on pre-order.", product=product.name))
    content = outcomes.export_pledges_csv(session, preorder=preorder, product=product)
    return Response(
        content,
        media_type="text/csv; charset=utf-8",  # i18n: ignore
        headers={"Content-Disposition": f'attachment; filename="product-{product.id}-pledges.csv"'},  # i18n: ignore
    )
