"""HTML pages for rewards: the brand's staff area (products, sales, points, payouts, liability) and a member's own
earnings, statements, referrals and points."""

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app.accounts import two_factor
from app.accounts.deps import AccountUser, CurrentSignIn, Public
from app.accounts.models import User
from app.brands import service as brands_service
from app.brands.deps import BrandAccess, brand_access
from app.columns import RowId, id_of, utcnow
from app.config import get_settings
from app.db import OwnTransactionsDep, SessionDep, writes_in_own_transactions
from app.errors import AppError, Invalid
from app.i18n import N_, _, ngettext
from app.i18n.formatting import format_number, format_percent
from app.permissions import Action
from app.rewards import charts, money, sales_import
from app.rewards import payouts as rewards_payouts
from app.rewards import points as rewards_points
from app.rewards import referrals as rewards_referrals
from app.rewards import sales as rewards_sales
from app.rewards import statements as rewards_statements
from app.rewards import terms as rewards_terms
from app.rewards.models import PointsAction, RewardKind, RoyaltyKind
from app.rewards.referral_links import remember_referral
from app.web import flash
from app.web.forms import form_error
from app.web.requests import client_ip, redirect
from app.web.templating import is_htmx, render, templates

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]
# Amounts in minor units read as money (in the current language) where templates still write
# {{ amount | money(currency) }} (the brand dashboard, the portfolio); rewards templates use ``minor_units``.
templates.env.filters["money"] = money.format_amount
# A share in basis points / 10,000 (a royalty, a commission, a co-designer's split), exact to the basis point.
templates.env.filters["share"] = lambda fraction: format_percent(fraction, digits=2)
POINTS_ACTION_LABELS = {
    PointsAction.design_submitted: N_("Submitting a design"),
    PointsAction.first_score: N_("Scoring a design (first time)"),
    PointsAction.survey_answered: N_("Answering a survey"),
    PointsAction.samples_passed: N_("Passing on samples"),
    PointsAction.referral_converted: N_("A referral that buys"),
    PointsAction.answer_accepted: N_("An answer accepted in Q&A"),
}


def _staff(access: BrandAccess, tab: str, **extra: object) -> dict[str, Any]:
    return {"brand": access.brand, "access": access, "Action": Action, "tab": tab, **extra}


def _attachment(filename: str) -> str:
    return f'attachment; filename="{filename}"'  # i18n: ignore


def _base_url(brand_slug: str) -> str:
    return f"/brands/{brand_slug}/rewards"


# --- Staff: overview, settings and products ---------------------------------------------------------------------


def _overview_context(
    session: Session, access: BrandAccess, sign_in: two_factor.SignIn, **extra: object
) -> dict[str, Any]:
    settings = rewards_terms.get_reward_settings(session, brand=access.brand)
    form = extra.pop("form", None) or {
        "currency": settings.currency,
        "commission_percent": money.plain_amount(settings.commission_bp, "EUR"),
        "payout_threshold": money.plain_amount(settings.payout_threshold_minor, settings.currency),
        "hold_days": str(settings.hold_days),
    }
    months = rewards_statements.brand_month_totals(session, brand=access.brand)
    return _staff(
        access,
        "overview",
        reward_settings=settings,
        form=form,
        products=rewards_terms.list_products(session, brand=access.brand),
        chart=charts.month_bars(
            months, currency=settings.currency, label=_("Royalties and commissions owed per month")
        ),
        months=months,
        # Payout rules decide who is paid what, when: changing them asks who it is, like a password change.
        needs_reauth=not sign_in.is_recent(),
        **extra,
    )


@router.get("/brands/{brand_slug}/rewards", name="rewards:brand")
def brand_page(
    request: Request,
    session: SessionDep,
    sign_in: CurrentSignIn,
    access: BrandAccess = brand_access(Action.view_rewards),
) -> Response:
    return render(request, "rewards/brand.html", _overview_context(session, access, sign_in))


@router.post("/brands/{brand_slug}/rewards/settings")
def save_settings(
    request: Request,
    session: SessionDep,
    sign_in: CurrentSignIn,
    currency: FormText = "",
    commission_percent: FormText = "",
    payout_threshold: FormText = "",
    hold_days: FormText = "",
    current_password_or_code: FormText = "",
    access: BrandAccess = brand_access(Action.manage_rewards),
) -> Response:
    form = {
        "currency": currency,
        "commission_percent": commission_percent,
        "payout_threshold": payout_threshold,
        "hold_days": hold_days,
    }
    try:
        two_factor.confirm_identity(
            session,
            user=access.user,
            sign_in=sign_in,
            password_or_code=current_password_or_code,
            client_ip=client_ip(request),
        )
        rewards_terms.update_reward_settings(session, brand=access.brand, **form)
    except AppError as error:
        return form_error(
            request,
            session,
            "rewards/brand.html",
            _overview_context(session, access, sign_in, form=form),
            error,
            block="settings_form",
        )
    response = redirect(request, _base_url(access.brand.slug))
    flash.add(response, request, _("The reward settings are saved."))
    return response


def _terms_form(row: rewards_terms.ProductRow) -> dict[str, str]:
    terms = row.terms
    if terms is None:
        return {
            "currency": "EUR",
            "royalty_kind": RoyaltyKind.percent.value,
            "royalty_percent": "10",
            "price": "",
            "store_url": row.product.store_url,
        }
    return {
        "price": money.plain_amount(terms.price_minor, terms.currency),
        "currency": terms.currency,
        "royalty_kind": terms.royalty_kind.value,
        "royalty_percent": money.plain_amount(terms.royalty_bp, "EUR"),
        "royalty_fixed": money.plain_amount(terms.royalty_fixed_minor, terms.currency),
        "royalty_min": money.plain_amount(terms.royalty_min_minor, terms.currency),
        "splits": "\n".join(f"{user.handle} {money.plain_amount(split.share_bp, 'EUR')}" for split, user in row.splits),
        "live": "1" if row.product.status == "live" else "",
        "store_url": row.product.store_url,
    }


def _product_row(session: Session, access: BrandAccess, product_id: RowId) -> rewards_terms.ProductRow:
    rewards_terms.get_product(session, brand=access.brand, product_id=product_id)
    return next(row for row in rewards_terms.list_products(session, brand=access.brand) if row.product.id == product_id)


@router.get("/brands/{brand_slug}/rewards/products/{product_id}", name="rewards:product")
def product_page(
    request: Request, session: SessionDep, product_id: RowId, access: BrandAccess = brand_access(Action.view_rewards)
) -> Response:
    row = _product_row(session, access, product_id)
    context = _staff(access, "overview", row=row, form=_terms_form(row), kinds=list(RoyaltyKind))
    return render(request, "rewards/product.html", context)


@router.post("/brands/{brand_slug}/rewards/products/{product_id}")
def save_product(
    request: Request,
    session: SessionDep,
    product_id: RowId,
    price: FormText = "",
    currency: FormText = "",
    royalty_kind: FormText = "",
    royalty_percent: FormText = "",
    royalty_fixed: FormText = "",
    royalty_min: FormText = "",
    splits: FormText = "",
    live: FormText = "",
    store_url: FormText = "",
    access: BrandAccess = brand_access(Action.manage_rewards),
) -> Response:
    row = _product_row(session, access, product_id)
    form = {
        "price": price,
        "currency": currency,
        "royalty_kind": royalty_kind,
        "royalty_percent": royalty_percent,
        "royalty_fixed": royalty_fixed,
        "royalty_min": royalty_min,
        "splits": splits,
        "live": live,
        "store_url": store_url,
    }
    fields = rewards_terms.TermsFields(**{**form, "live": bool(live)})  # type: ignore[arg-type]
    try:
        rewards_terms.set_product_terms(session, product=row.product, fields=fields)
    except AppError as error:
        context = _staff(access, "overview", row=row, form=form, kinds=list(RoyaltyKind))
        return form_error(request, session, "rewards/product.html", context, error)
    response = redirect(request, _base_url(access.brand.slug))
    if live:
        message = _("%(product)s is live: sales of it now earn royalties.", product=row.product.name)
    else:
        message = _("%(product)s is saved as a draft.", product=row.product.name)
    flash.add(response, request, message)
    return response


# --- Staff: sales and refunds -------------------------------------------------------------------------------------


def _sales_context(session: Session, access: BrandAccess, **extra: object) -> dict[str, Any]:
    return _staff(
        access,
        "sales",
        sales=rewards_sales.list_sales(session, brand=access.brand),
        columns=sales_import.CSV_COLUMNS,
        **extra,
    )


@router.get("/brands/{brand_slug}/rewards/sales", name="rewards:sales")
def sales_page(
    request: Request, session: SessionDep, access: BrandAccess = brand_access(Action.view_rewards)
) -> Response:
    return render(request, "rewards/sales.html", _sales_context(session, access))


@router.post("/brands/{brand_slug}/rewards/sales/import")
@writes_in_own_transactions
async def import_sales(
    request: Request,
    session: SessionDep,
    transactions: OwnTransactionsDep,
    file: Annotated[UploadFile | None, File()] = None,
    access: BrandAccess = brand_access(Action.manage_rewards),
) -> Response:
    content = await file.read() if file is not None else b""
    try:
        if not content:
            raise rewards_sales.SalesRejected(_("Choose a CSV file of sales to upload."))
        result = await sales_import.import_in_thread(
            session, transactions, brand_id=id_of(access.brand), actor_id=id_of(access.user), content=content
        )
    except AppError as error:
        return form_error(request, session, "rewards/sales.html", _sales_context(session, access), error)
    response = redirect(request, f"{_base_url(access.brand.slug)}/sales")
    count, again = result.recorded, result.recorded_before
    recorded = ngettext("%(num)s sale line recorded", "%(num)s sale lines recorded", count, num=format_number(count))
    if result.batches > 1:
        recorded = ngettext(
            "%(recorded)s in %(num)s batch",
            "%(recorded)s in %(num)s batches",
            result.batches,
            recorded=recorded,
            num=format_number(result.batches),
        )
    if again:
        recorded = ngettext(
            "%(recorded)s; %(num)s was recorded before",
            "%(recorded)s; %(num)s were recorded before",
            again,
            recorded=recorded,
            num=format_number(again),
        )
    flash.add(response, request, _("%(recorded)s.", recorded=recorded))
    return response


@router.post("/brands/{brand_slug}/rewards/sales/refund")
def refund(
    request: Request,
    session: SessionDep,
    sale_id: Annotated[RowId, Form()],
    access: BrandAccess = brand_access(Action.manage_rewards),
) -> Response:
    sale = rewards_sales.get_sale(session, brand=access.brand, sale_id=sale_id)
    try:
        rewards_sales.refund_sale(session, sale=sale)
    except AppError as error:
        return form_error(request, session, "rewards/sales.html", _sales_context(session, access), error)
    response = redirect(request, f"{_base_url(access.brand.slug)}/sales")
    flash.add(response, request, _("Order %(order)s is refunded; what it earned is reversed.", order=sale.order_id))
    return response


# --- Staff: redemptions ---------------------------------------------------------------------------------------


def _redemptions_context(session: Session, access: BrandAccess, **extra: object) -> dict[str, Any]:
    return _staff(
        access,
        "redemptions",
        redemptions=rewards_points.list_brand_redemptions(session, brand=access.brand),
        **extra,
    )


@router.get("/brands/{brand_slug}/rewards/redemptions", name="rewards:redemptions")
def redemptions_page(
    request: Request, session: SessionDep, access: BrandAccess = brand_access(Action.view_rewards)
) -> Response:
    return render(request, "rewards/redemptions.html", _redemptions_context(session, access))


@router.post("/brands/{brand_slug}/rewards/redemptions/{redemption_id}/fulfilled")
def fulfil_redemption(
    request: Request,
    session: SessionDep,
    redemption_id: RowId,
    access: BrandAccess = brand_access(Action.manage_rewards),
) -> Response:
    redemption = rewards_points.get_brand_redemption(session, brand=access.brand, redemption_id=redemption_id)
    try:
        rewards_points.fulfil_redemption(session, redemption=redemption, actor=access.user)
    except AppError as error:
        return form_error(request, session, "rewards/redemptions.html", _redemptions_context(session, access), error)
    response = redirect(request, f"{_base_url(access.brand.slug)}/redemptions")
    flash.add(response, request, _("Redemption %(code)s is marked fulfilled.", code=redemption.code))
    return response


# --- Staff: points rules and the catalog ----------------------------------------------------------------------


def _points_context(session: Session, access: BrandAccess, **extra: object) -> dict[str, Any]:
    return _staff(
        access,
        "points",
        rules=rewards_points.list_points_rules(session, brand=access.brand),
        catalog=rewards_points.list_catalog(session, brand_id=access.brand.id or 0),
        action_labels={action: _(label) for action, label in POINTS_ACTION_LABELS.items()},
        reward_kinds=list(RewardKind),
        rule_form=extra.pop("rule_form", {"daily_cap": "5"}),
        item_form=extra.pop("item_form", {"kind": RewardKind.discount_code.value}),
        **extra,
    )


@router.get("/brands/{brand_slug}/rewards/points", name="rewards:points_admin")
def points_admin(
    request: Request, session: SessionDep, access: BrandAccess = brand_access(Action.view_rewards)
) -> Response:
    return render(request, "rewards/points_admin.html", _points_context(session, access))


@router.post("/brands/{brand_slug}/rewards/points/rules")
def save_rule(
    request: Request,
    session: SessionDep,
    action: FormText = "",
    points: FormText = "",
    daily_cap: FormText = "",
    access: BrandAccess = brand_access(Action.manage_rewards),
) -> Response:
    rule_form = {"action": action, "points": points, "daily_cap": daily_cap}
    try:
        rewards_points.set_points_rule(session, brand=access.brand, **rule_form)
    except AppError as error:
        context = _points_context(session, access, rule_form=rule_form)
        return form_error(request, session, "rewards/points_admin.html", context, error)
    response = redirect(request, f"{_base_url(access.brand.slug)}/points")
    flash.add(response, request, _("The points rule is saved."))
    return response


@router.post("/brands/{brand_slug}/rewards/catalog")
def add_item(
    request: Request,
    session: SessionDep,
    name: FormText = "",
    description: FormText = "",
    kind: FormText = "",
    points_cost: FormText = "",
    stock: FormText = "",
    access: BrandAccess = brand_access(Action.manage_rewards),
) -> Response:
    item_form = {"name": name, "description": description, "kind": kind, "points_cost": points_cost, "stock": stock}
    try:
        rewards_points.add_reward_item(session, brand=access.brand, **item_form)
    except AppError as error:
        context = _points_context(session, access, item_form=item_form)
        return form_error(request, session, "rewards/points_admin.html", context, error)
    response = redirect(request, f"{_base_url(access.brand.slug)}/points")
    flash.add(response, request, _("%(reward)s is in the catalog.", reward=name.strip()))
    return response


# --- Staff: payouts and liability -----------------------------------------------------------------------------


def _payouts_context(session: Session, access: BrandAccess, **extra: object) -> dict[str, Any]:
    return _staff(
        access,
        "payouts",
        reward_settings=rewards_terms.get_reward_settings(session, brand=access.brand),
        payout_currencies=rewards_payouts.payout_currencies(session, brand=access.brand),
        batches=rewards_payouts.list_batches(session, brand=access.brand),
        **{"form": {}, **extra},
    )


@router.get("/brands/{brand_slug}/rewards/payouts", name="rewards:payouts")
def payouts_page(
    request: Request, session: SessionDep, access: BrandAccess = brand_access(Action.view_rewards)
) -> Response:
    return render(request, "rewards/payouts.html", _payouts_context(session, access))


@router.post("/brands/{brand_slug}/rewards/payouts")
def open_batch(
    request: Request,
    session: SessionDep,
    currency: FormText = "",
    access: BrandAccess = brand_access(Action.run_payouts),
) -> Response:
    try:
        batch = rewards_payouts.open_batch(session, brand=access.brand, created_by=access.user, currency=currency)
    except AppError as error:
        context = _payouts_context(session, access, form={"currency": currency})
        return form_error(request, session, "rewards/payouts.html", context, error)
    response = redirect(request, f"{_base_url(access.brand.slug)}/payouts/{batch.id}")
    flash.add(
        response, request, _("Payout batch %(batch)s is open: review it, export it, then mark it paid.", batch=batch.id)
    )
    return response


def _batch_context(session: Session, access: BrandAccess, batch_id: RowId, **extra: object) -> dict[str, Any]:
    batch = rewards_payouts.get_batch(session, brand=access.brand, batch_id=batch_id)
    recipients = rewards_payouts.batch_recipients(session, batch=batch)
    return _staff(
        access,
        "payouts",
        batch=batch,
        recipients=recipients,
        total=sum(recipient.line.amount_minor for recipient in recipients),
        pending_total=sum(r.line.amount_minor for r in recipients if r.line.status == "pending"),
        **extra,
    )


@router.get("/brands/{brand_slug}/rewards/payouts/{batch_id}", name="rewards:batch")
def batch_page(
    request: Request, session: SessionDep, batch_id: RowId, access: BrandAccess = brand_access(Action.view_rewards)
) -> Response:
    return render(request, "rewards/batch.html", _batch_context(session, access, batch_id), block="lines")


@router.get("/brands/{brand_slug}/rewards/payouts/{batch_id}/export")
def export_batch(
    session: SessionDep, batch_id: RowId, access: BrandAccess = brand_access(Action.run_payouts)
) -> Response:
    batch = rewards_payouts.get_batch(session, brand=access.brand, batch_id=batch_id)
    payout_file = rewards_payouts.export_batch(session, batch=batch)
    return Response(
        payout_file.content,
        media_type=payout_file.media_type,
        headers={"Content-Disposition": f'attachment; filename="{payout_file.filename}"'},  # i18n: ignore
    )


@router.post("/brands/{brand_slug}/rewards/payouts/{batch_id}/paid")
def mark_paid(
    request: Request,
    session: SessionDep,
    batch_id: RowId,
    line_id: FormText = "",
    reference: FormText = "",
    access: BrandAccess = brand_access(Action.run_payouts),
) -> Response:
    batch = rewards_payouts.get_batch(session, brand=access.brand, batch_id=batch_id)
    try:
        lines = rewards_payouts.mark_paid(
            session, batch=batch, line_id=int(line_id) if line_id.isdigit() else None, reference=reference
        )
    except AppError as error:
        context = _batch_context(session, access, batch_id)
        return form_error(request, session, "rewards/batch.html", context, error, block="lines")
    if is_htmx(request):
        return render(request, "rewards/batch.html", _batch_context(session, access, batch_id), block="lines")
    response = redirect(request, f"{_base_url(access.brand.slug)}/payouts/{batch_id}")
    flash.add(
        response,
        request,
        ngettext("%(num)s payout line marked paid.", "%(num)s payout lines marked paid.", len(lines)),
    )
    return response


@router.post("/brands/{brand_slug}/rewards/payouts/{batch_id}/failed")
def mark_failed(
    request: Request,
    session: SessionDep,
    batch_id: RowId,
    line_id: Annotated[RowId, Form()],
    reason: FormText = "",
    access: BrandAccess = brand_access(Action.run_payouts),
) -> Response:
    batch = rewards_payouts.get_batch(session, brand=access.brand, batch_id=batch_id)
    try:
        rewards_payouts.mark_failed(session, batch=batch, line_id=line_id, reason=reason)
    except AppError as error:
        context = _batch_context(session, access, batch_id)
        return form_error(request, session, "rewards/batch.html", context, error, block="lines")
    if is_htmx(request):
        return render(request, "rewards/batch.html", _batch_context(session, access, batch_id), block="lines")
    response = redirect(request, f"{_base_url(access.brand.slug)}/payouts/{batch_id}")
    flash.add(response, request, _("The line is marked failed; its money is back in the member's balance."))
    return response


@router.get("/brands/{brand_slug}/rewards/liability", name="rewards:liability")
def liability_page(
    request: Request, session: SessionDep, format: str = "", access: BrandAccess = brand_access(Action.view_rewards)
) -> Response:
    report = rewards_statements.liability_report(session, brand=access.brand)
    if format == "csv":
        return Response(
            rewards_statements.liability_csv(report),
            media_type="text/csv",
            headers={"Content-Disposition": _attachment(f"liability-{access.brand.slug}.csv")},
        )
    return render(request, "rewards/liability.html", _staff(access, "liability", report=report))


# --- Members: earnings, statements, referrals and points ------------------------------------------------------


@router.get("/me/earnings", name="rewards:earnings")
def earnings_page(request: Request, session: SessionDep, user: AccountUser) -> Response:
    earnings = rewards_statements.member_earnings(session, user=user)
    chart = charts.month_bars(earnings.months, currency=earnings.currency, label=_("Your earnings per month"))
    now = utcnow()
    return render(
        request,
        "rewards/earnings.html",
        {"earnings": earnings, "chart": chart, "this_month": f"{now.year:04d}-{now.month:02d}"},
    )


@router.get("/me/statement", name="rewards:statement")
def statement_page(
    request: Request, session: SessionDep, user: AccountUser, brand: str = "", month: str = "", format: str = ""
) -> Response:
    brands = rewards_referrals.brands_to_refer(session, user=user)
    chosen_month = rewards_statements.parse_month(month, utcnow())
    if not brand:
        form = {"brand": brands[0].slug if brands else "", "month": chosen_month}
        return render(request, "rewards/statement.html", {"statement": None, "brands": brands, "form": form})
    found = brands_service.get_brand_by_slug(session, slug=brand)
    statement = rewards_statements.member_statement(session, user=user, brand=found, month=chosen_month)
    if format == "csv":
        return Response(
            rewards_statements.statement_csv(statement),
            media_type="text/csv",
            headers={"Content-Disposition": _attachment(f"statement-{found.slug}-{statement.month}.csv")},
        )
    form = {"brand": found.slug, "month": chosen_month}
    return render(request, "rewards/statement.html", {"statement": statement, "brands": brands, "form": form})


def _referrals_context(session: Session, user: User, **extra: object) -> dict[str, Any]:
    return {
        "funnels": rewards_referrals.referral_funnels(session, user=user),
        "brands": rewards_referrals.brands_to_refer(session, user=user),
        "base_url": get_settings().base_url,
        **extra,
    }


@router.get("/me/referrals", name="rewards:referrals")
def referrals_page(request: Request, session: SessionDep, user: AccountUser) -> Response:
    return render(request, "rewards/referrals.html", _referrals_context(session, user))


@router.post("/me/referrals")
def make_referral_code(request: Request, session: SessionDep, user: AccountUser, brand: FormText = "") -> Response:
    found = session.exec(brands_service.select_brand_by_slug(brand)).first()
    try:
        if found is None:
            raise Invalid(_("Choose one of the brands listed."))
        code = rewards_referrals.referral_code_for(session, user=user, brand=found)
    except AppError as error:
        return form_error(request, session, "rewards/referrals.html", _referrals_context(session, user), error)
    response = redirect(request, "/me/referrals")
    flash.add(
        response, request, _("Your referral link for %(brand)s ends in /r/%(code)s.", brand=found.name, code=code.code)
    )
    return response


def _points_page_context(session: Session, user: User, **extra: object) -> dict[str, Any]:
    return {
        "overviews": rewards_points.points_overview(session, user=user),
        "redemptions": rewards_points.list_redemptions(session, user=user),
        "request_key": secrets.token_urlsafe(16),
        **extra,
    }


@router.get("/me/points", name="rewards:points")
def points_page(request: Request, session: SessionDep, user: AccountUser) -> Response:
    return render(request, "rewards/points.html", _points_page_context(session, user))


@router.post("/me/points/redeem")
def redeem(
    request: Request,
    session: SessionDep,
    user: AccountUser,
    item_id: Annotated[RowId, Form()],
    request_key: FormText = "",
    shipping_address: FormText = "",
) -> Response:
    try:
        redemption = rewards_points.redeem(
            session, user=user, item_id=item_id, request_key=request_key, shipping_address=shipping_address
        )
    except AppError as error:
        # The message goes beside the reward's own form, with the address as typed.
        typed = {"item_id": item_id, "shipping_address": shipping_address}
        context = _points_page_context(session, user, redeem_form=typed)
        return form_error(request, session, "rewards/points.html", context, error)
    response = redirect(request, "/me/points")
    flash.add(response, request, _("Redeemed. Your code is %(code)s.", code=redemption.code))
    return response


# --- Referral links -------------------------------------------------------------------------------------------


@router.get("/r/{code}", name="rewards:referral_link")
def follow_referral(request: Request, session: SessionDep, code: str, _visitor: Public) -> Response:
    """Count the click, remember the code in a signed cookie for a later sign-up, and go to the sign-up page."""
    referral = rewards_referrals.record_click(session, code=code, visitor=client_ip(request))
    response = RedirectResponse("/signup", status_code=303)
    if referral is not None:
        remember_referral(response, referral.code)
    return response
