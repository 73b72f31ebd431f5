"""JSON API for rewards: the same services as the pages."""

from typing import Annotated

from fastapi import APIRouter, File, Header, Request, Response, UploadFile, status
from sqlmodel import Session

from app import rate_limits
from app.accounts import two_factor
from app.accounts.deps import AccountUser, CurrentSignIn
from app.accounts.models import User
from app.brands import service as brands_service
from app.brands.deps import BrandAccess, brand_access
from app.columns import RowId, id_of, utcnow
from app.config import get_settings
from app.db import OwnTransactionsDep, SessionDep, writes_in_own_transactions
from app.errors import Invalid
from app.i18n import _
from app.permissions import Action
from app.rewards import payouts as rewards_payouts
from app.rewards import points as rewards_points
from app.rewards import referrals as rewards_referrals
from app.rewards import sales as rewards_sales
from app.rewards import sales_import, schemas
from app.rewards import statements as rewards_statements
from app.rewards import terms as rewards_terms
from app.rewards.models import PayoutBatch, RewardItem, Sale, SaleSource
from app.web.requests import client_ip

router = APIRouter(tags=["rewards"])


def _settings(session: Session, access: BrandAccess) -> schemas.RewardSettingsPublic:
    settings = rewards_terms.get_reward_settings(session, brand=access.brand)
    return schemas.RewardSettingsPublic.model_validate(settings, from_attributes=True)


@router.get("/brands/{brand_slug}/rewards/settings", response_model=schemas.RewardSettingsPublic, summary="Money rules")
def get_settings_(
    session: SessionDep, access: BrandAccess = brand_access(Action.view_rewards)
) -> schemas.RewardSettingsPublic:
    return _settings(session, access)


@router.put(
    "/brands/{brand_slug}/rewards/settings", response_model=schemas.RewardSettingsPublic, summary="Change money rules"
)
def put_settings(
    body: schemas.RewardSettingsBody,
    request: Request,
    session: SessionDep,
    sign_in: CurrentSignIn,
    access: BrandAccess = brand_access(Action.manage_rewards),
) -> schemas.RewardSettingsPublic:
    """Needs a recent sign-in or `current_password_or_code` (always the latter with an API token): 403 otherwise."""
    two_factor.confirm_identity(
        session,
        user=access.user,
        sign_in=sign_in,
        password_or_code=body.current_password_or_code,
        client_ip=client_ip(request),
    )
    rewards_terms.update_reward_settings(
        session,
        brand=access.brand,
        currency=body.currency,
        commission_percent=body.commission_percent,
        payout_threshold=body.payout_threshold,
        hold_days=str(body.hold_days),
    )
    return _settings(session, access)


def _product(row: rewards_terms.ProductRow) -> schemas.ProductPublic:
    return schemas.ProductPublic(
        id=id_of(row.product),
        name=row.product.name,
        status=row.product.status,
        design_id=row.product.design_id,
        designer_handle=row.designer.handle if row.designer else None,
        terms=schemas.TermsPublic.model_validate(row.terms, from_attributes=True) if row.terms else None,
        splits=[schemas.SplitPublic(handle=user.handle, share_bp=split.share_bp) for split, user in row.splits],
        store_url=row.product.store_url,
    )


@router.get("/brands/{brand_slug}/products", response_model=list[schemas.ProductPublic], summary="Products and terms")
def list_products(
    session: SessionDep, access: BrandAccess = brand_access(Action.view_rewards)
) -> list[schemas.ProductPublic]:
    return [_product(row) for row in rewards_terms.list_products(session, brand=access.brand)]


@router.put(
    "/brands/{brand_slug}/products/{product_id}/terms",
    response_model=schemas.ProductPublic,
    summary="Set a product's price, royalty rule, splits and whether it is live",
)
def put_terms(
    product_id: RowId,
    body: schemas.TermsBody,
    session: SessionDep,
    access: BrandAccess = brand_access(Action.manage_rewards),
) -> schemas.ProductPublic:
    product = rewards_terms.get_product(session, brand=access.brand, product_id=product_id)
    fields = rewards_terms.TermsFields(
        price=body.price,
        currency=body.currency,
        royalty_kind=body.royalty_kind.value,
        royalty_percent=body.royalty_percent,
        royalty_fixed=body.royalty_fixed,
        royalty_min=body.royalty_min,
        splits="\n".join(f"{handle} {share}" for handle, share in body.splits.items()),
        live=body.live,
        store_url=body.store_url,
    )
    rewards_terms.set_product_terms(session, product=product, fields=fields)
    rows = rewards_terms.list_products(session, brand=access.brand)
    return _product(next(row for row in rows if row.product.id == product_id))


def _sale(sale: Sale) -> schemas.SalePublic:
    return schemas.SalePublic.model_validate(sale, from_attributes=True)


def _sales_result(result: rewards_sales.SalesResult) -> schemas.SalesResultPublic:
    return schemas.SalesResultPublic(
        recorded=[_sale(sale) for sale in result.recorded], replayed=[_sale(sale) for sale in result.replayed]
    )


@router.get("/brands/{brand_slug}/sales", response_model=list[schemas.SalePublic], summary="Latest sale lines")
def list_sales(
    session: SessionDep, access: BrandAccess = brand_access(Action.view_rewards)
) -> list[schemas.SalePublic]:
    return [_sale(sale) for sale, _ in rewards_sales.list_sales(session, brand=access.brand)]


@router.post(
    "/brands/{brand_slug}/sales",
    response_model=schemas.SalesResultPublic,
    summary="Record sale lines (all or none; lines sent before are replays)",
)
def post_sales(
    body: schemas.SalesBody, session: SessionDep, access: BrandAccess = brand_access(Action.manage_rewards)
) -> schemas.SalesResultPublic:
    rate_limits.hit(
        get_settings().sales_import_rate_per_account,
        "sales-import",
        str(access.user.id),
        message=_("You are sending sales very fast; wait a minute."),
    )
    rows = [
        rewards_sales.SaleInput(
            order_id=line.order_id,
            product_id=str(line.product_id),
            quantity=str(line.quantity),
            unit_price=line.unit_price,
            currency=line.currency,
            referral_code=line.referral_code,
            sold_at=line.sold_at,
        )
        for line in body.sales
    ]
    return _sales_result(rewards_sales.record_sales(session, brand=access.brand, rows=rows, source=SaleSource.api))


@router.post(
    "/brands/{brand_slug}/sales/imports",
    response_model=schemas.SalesImportPublic,
    summary="Record the sales of a CSV file (checked whole, then written in batches; lines sent before are skipped)",
    responses={
        503: {"description": "A batch failed: the batches before it are recorded; send the file again"}  # i18n: ignore
    },
)
@writes_in_own_transactions
async def import_sales(
    session: SessionDep,
    transactions: OwnTransactionsDep,
    file: Annotated[UploadFile, File()],
    access: BrandAccess = brand_access(Action.manage_rewards),
) -> schemas.SalesImportPublic:
    content = await file.read()
    result = await sales_import.import_in_thread(
        session, transactions, brand_id=id_of(access.brand), actor_id=id_of(access.user), content=content
    )
    return schemas.SalesImportPublic(
        rows=result.rows, recorded=result.recorded, recorded_before=result.recorded_before, batches=result.batches
    )


@router.post("/brands/{brand_slug}/refunds", response_model=schemas.SalePublic, summary="Refund a sale line")
def refund(
    body: schemas.RefundBody, session: SessionDep, access: BrandAccess = brand_access(Action.manage_rewards)
) -> schemas.SalePublic:
    sale = rewards_sales.get_sale(session, brand=access.brand, sale_id=body.sale_id)
    return _sale(rewards_sales.refund_sale(session, sale=sale))


@router.get("/brands/{brand_slug}/points-rules", response_model=list[schemas.PointsRulePublic], summary="Points rules")
def list_rules(
    session: SessionDep, access: BrandAccess = brand_access(Action.view_rewards)
) -> list[schemas.PointsRulePublic]:
    return [
        schemas.PointsRulePublic(action=rule.action, points=rule.points, daily_cap=rule.daily_cap)
        for rule in rewards_points.list_points_rules(session, brand=access.brand)
    ]


@router.put(
    "/brands/{brand_slug}/points-rules",
    response_model=list[schemas.PointsRulePublic],
    summary="Set (or with 0 points remove) the rule of an action",
)
def put_rule(
    body: schemas.PointsRuleBody, session: SessionDep, access: BrandAccess = brand_access(Action.manage_rewards)
) -> list[schemas.PointsRulePublic]:
    rewards_points.set_points_rule(
        session, brand=access.brand, action=body.action.value, points=str(body.points), daily_cap=str(body.daily_cap)
    )
    return list_rules(session, access)


def _item(item: RewardItem) -> schemas.RewardItemPublic:
    return schemas.RewardItemPublic.model_validate(item, from_attributes=True)


@router.get("/brands/{brand_slug}/catalog", response_model=list[schemas.RewardItemPublic], summary="Rewards catalog")
def list_catalog(
    session: SessionDep, access: BrandAccess = brand_access(Action.view_rewards)
) -> list[schemas.RewardItemPublic]:
    return [_item(item) for item in rewards_points.list_catalog(session, brand_id=id_of(access.brand))]


@router.post(
    "/brands/{brand_slug}/catalog",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.RewardItemPublic,
    summary="Add a reward to the catalog",
)
def add_item(
    body: schemas.RewardItemBody, session: SessionDep, access: BrandAccess = brand_access(Action.manage_rewards)
) -> schemas.RewardItemPublic:
    item = rewards_points.add_reward_item(
        session,
        brand=access.brand,
        name=body.name,
        description=body.description,
        kind=body.kind.value,
        points_cost=str(body.points_cost),
        stock=str(body.stock),
    )
    return _item(item)


def _batch(session: Session, batch: PayoutBatch) -> schemas.PayoutBatchPublic:
    return schemas.PayoutBatchPublic(
        id=id_of(batch),
        currency=batch.currency,
        status=batch.status,
        threshold_minor=batch.threshold_minor,
        hold_days=batch.hold_days,
        cutoff_at=batch.cutoff_at,
        created_at=batch.created_at,
        exported_at=batch.exported_at,
        closed_at=batch.closed_at,
        lines=[
            schemas.PayoutLinePublic(
                id=id_of(recipient.line),
                handle=recipient.user.handle,
                email=recipient.user.email,
                amount_minor=recipient.line.amount_minor,
                status=recipient.line.status,
                failure_reason=recipient.line.failure_reason,
                settled_at=recipient.line.settled_at,
            )
            for recipient in rewards_payouts.batch_recipients(session, batch=batch)
        ],
    )


@router.get(
    "/brands/{brand_slug}/payout-batches", response_model=list[schemas.PayoutBatchPublic], summary="Payout batches"
)
def list_batches(
    session: SessionDep, access: BrandAccess = brand_access(Action.view_rewards)
) -> list[schemas.PayoutBatchPublic]:
    return [_batch(session, batch) for batch in rewards_payouts.list_batches(session, brand=access.brand)]


@router.get(
    "/brands/{brand_slug}/payout-currencies",
    response_model=list[schemas.PayoutCurrencyPublic],
    summary="Currencies a payout batch may be opened in (the brand's now, then older ones still owed)",
)
def list_payout_currencies(
    session: SessionDep, access: BrandAccess = brand_access(Action.view_rewards)
) -> list[schemas.PayoutCurrencyPublic]:
    return [
        schemas.PayoutCurrencyPublic(currency=c.currency, current=c.current, balance_minor=c.balance_minor)
        for c in rewards_payouts.payout_currencies(session, brand=access.brand)
    ]


@router.post(
    "/brands/{brand_slug}/payout-batches",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.PayoutBatchPublic,
    summary="Open a payout batch in one currency (balances over the threshold, outside the holding period)",
)
def open_batch(
    session: SessionDep,
    body: schemas.OpenBatchBody | None = None,
    access: BrandAccess = brand_access(Action.run_payouts),
) -> schemas.PayoutBatchPublic:
    currency = body.currency if body is not None else None
    batch = rewards_payouts.open_batch(session, brand=access.brand, created_by=access.user, currency=currency)
    return _batch(session, batch)


@router.get(
    "/brands/{brand_slug}/payout-batches/{batch_id}", response_model=schemas.PayoutBatchPublic, summary="A batch"
)
def get_batch(
    batch_id: RowId, session: SessionDep, access: BrandAccess = brand_access(Action.view_rewards)
) -> schemas.PayoutBatchPublic:
    return _batch(session, rewards_payouts.get_batch(session, brand=access.brand, batch_id=batch_id))


@router.get(
    "/brands/{brand_slug}/payout-batches/{batch_id}/export",
    summary="The batch's mass-payment file (CSV of the pending lines)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def export_batch(
    batch_id: RowId, session: SessionDep, access: BrandAccess = brand_access(Action.run_payouts)
) -> Response:
    batch = rewards_payouts.get_batch(session, brand=access.brand, batch_id=batch_id)
    payout_file = rewards_payouts.export_batch(session, batch=batch)
    return Response(
        payout_file.content,
        media_type=payout_file.media_type,
        headers={"Content-Disposition": f'attachment; filename="{payout_file.filename}"'},  # i18n: ignore
    )


@router.post(
    "/brands/{brand_slug}/payout-batches/{batch_id}/paid",
    response_model=schemas.PayoutBatchPublic,
    summary="Mark one pending line paid, or all of them",
)
def mark_paid(
    batch_id: RowId,
    body: schemas.MarkPaidBody,
    session: SessionDep,
    access: BrandAccess = brand_access(Action.run_payouts),
) -> schemas.PayoutBatchPublic:
    batch = rewards_payouts.get_batch(session, brand=access.brand, batch_id=batch_id)
    rewards_payouts.mark_paid(session, batch=batch, line_id=body.line_id, reference=body.reference)
    return _batch(session, batch)


@router.post(
    "/brands/{brand_slug}/payout-batches/{batch_id}/failed",
    response_model=schemas.PayoutBatchPublic,
    summary="Mark a line failed: its money returns to the member's balance",
)
def mark_failed(
    batch_id: RowId,
    body: schemas.MarkFailedBody,
    session: SessionDep,
    access: BrandAccess = brand_access(Action.run_payouts),
) -> schemas.PayoutBatchPublic:
    batch = rewards_payouts.get_batch(session, brand=access.brand, batch_id=batch_id)
    rewards_payouts.mark_failed(session, batch=batch, line_id=body.line_id, reason=body.reason)
    return _batch(session, batch)


@router.get("/brands/{brand_slug}/liability", response_model=schemas.LiabilityPublic, summary="What is owed to whom")
def liability(session: SessionDep, access: BrandAccess = brand_access(Action.view_rewards)) -> schemas.LiabilityPublic:
    report = rewards_statements.liability_report(session, brand=access.brand)
    return schemas.LiabilityPublic(
        currency=report.currency,
        total_minor=report.total_minor,
        totals=report.totals,
        rows=[
            schemas.LiabilityRowPublic(
                handle=row.user.handle,
                currency=row.currency,
                available_minor=row.available_minor,
                held_minor=row.held_minor,
                in_payout_minor=row.in_payout_minor,
                owed_minor=row.owed_minor,
            )
            for row in report.rows
        ],
    )


# --- One's own money ---------------------------------------------------------------------------------------------


def _line(line: rewards_statements.EarningsLine) -> schemas.EarningsLinePublic:
    return schemas.EarningsLinePublic.model_validate(line, from_attributes=True)


@router.get("/me/earnings", response_model=schemas.EarningsPublic, summary="Your balances, earnings and payouts")
def my_earnings(session: SessionDep, user: AccountUser) -> schemas.EarningsPublic:
    earnings = rewards_statements.member_earnings(session, user=user)
    return schemas.EarningsPublic(
        balances=[
            schemas.BalancePublic(
                brand_slug=balance.brand.slug,
                currency=balance.currency,
                available_minor=balance.available_minor,
                held_minor=balance.held_minor,
                in_payout_minor=balance.in_payout_minor,
                paid_minor=balance.paid_minor,
            )
            for balance in earnings.balances
        ],
        currency=earnings.currency,
        months=[schemas.MonthPublic(month=month.month, amount_minor=month.amount_minor) for month in earnings.months],
        lines=[_line(line) for line in earnings.lines],
        payouts=[
            schemas.MyPayoutPublic(
                brand_slug=brand.slug,
                batch_id=id_of(batch),
                amount_minor=line.amount_minor,
                currency=batch.currency,
                status=line.status,
            )
            for line, batch, brand in earnings.payouts
        ],
    )


@router.get("/me/statement", response_model=schemas.StatementPublic, summary="Your statement for a brand and month")
def my_statement(session: SessionDep, user: AccountUser, brand: str, month: str = "") -> schemas.StatementPublic:
    found = brands_service.get_brand_by_slug(session, slug=brand)
    statement = rewards_statements.member_statement(
        session, user=user, brand=found, month=rewards_statements.parse_month(month, utcnow())
    )
    return schemas.StatementPublic(
        brand_slug=found.slug,
        month=statement.month,
        currency=statement.currency,
        opening_minor=statement.opening_minor,
        closing_minor=statement.closing_minor,
        lines=[_line(line) for line in statement.lines],
    )


def _referrals(session: Session, user: User) -> list[schemas.ReferralPublic]:
    base_url = get_settings().base_url
    return [
        schemas.ReferralPublic(
            brand_slug=funnel.brand.slug,
            code=funnel.code.code,
            link=f"{base_url}/r/{funnel.code.code}",
            clicks=funnel.clicks,
            signups=funnel.signups,
            purchases=funnel.purchases,
            earnings_minor=funnel.earnings,
        )
        for funnel in rewards_referrals.referral_funnels(session, user=user)
    ]


@router.get("/me/referrals", response_model=list[schemas.ReferralPublic], summary="Your referral codes and funnels")
def my_referrals(session: SessionDep, user: AccountUser) -> list[schemas.ReferralPublic]:
    return _referrals(session, user)


@router.post(
    "/me/referrals",
    status_code=status.HTTP_201_CREATED,
    response_model=list[schemas.ReferralPublic],
    summary="Get your referral code for a brand of your communities",
)
def make_referral(body: schemas.ReferralBody, session: SessionDep, user: AccountUser) -> list[schemas.ReferralPublic]:
    brand = brands_service.get_brand_by_slug(session, slug=body.brand_slug)
    rewards_referrals.referral_code_for(session, user=user, brand=brand)
    return _referrals(session, user)


@router.get("/me/points", response_model=list[schemas.PointsPublic], summary="Your points and the catalogs")
def my_points(session: SessionDep, user: AccountUser) -> list[schemas.PointsPublic]:
    return [
        schemas.PointsPublic(
            brand_slug=overview.brand.slug,
            balance=overview.balance,
            catalog=[_item(item) for item in overview.catalog],
        )
        for overview in rewards_points.points_overview(session, user=user)
    ]


@router.post(
    "/me/redemptions",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.RedemptionPublic,
    summary="Spend points on a reward (send an Idempotency-Key header: a retry returns the same code)",
)
def redeem(
    body: schemas.RedeemBody,
    session: SessionDep,
    user: AccountUser,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> schemas.RedemptionPublic:
    if not idempotency_key:
        raise Invalid(_("Send an Idempotency-Key header (any unique string, reused only when retrying)."))
    redemption = rewards_points.redeem(
        session,
        user=user,
        item_id=body.item_id,
        request_key=f"api:{user.id}:{idempotency_key}",
        shipping_address=body.shipping_address,
    )
    return schemas.RedemptionPublic.model_validate(redemption, from_attributes=True)


def _brand_redemption(row: rewards_points.BrandRedemption, *, may_see_address: bool) -> schemas.BrandRedemptionPublic:
    return schemas.BrandRedemptionPublic(
        id=id_of(row.redemption),
        handle=row.member.handle,
        reward=row.item.name,
        kind=row.item.kind,
        code=row.redemption.code,
        points=row.redemption.points,
        created_at=row.redemption.created_at,
        status=row.redemption.status,
        fulfilled_at=row.redemption.fulfilled_at,
        shipping_address=row.redemption.shipping_address if may_see_address else None,
    )


@router.get(
    "/brands/{brand_slug}/redemptions",
    response_model=list[schemas.BrandRedemptionPublic],
    summary="Rewards redeemed at the brand (those to fulfil first)",
)
def list_brand_redemptions(
    session: SessionDep, access: BrandAccess = brand_access(Action.view_rewards)
) -> list[schemas.BrandRedemptionPublic]:
    may_see_address = access.can(Action.manage_rewards)
    return [
        _brand_redemption(row, may_see_address=may_see_address)
        for row in rewards_points.list_brand_redemptions(session, brand=access.brand)
    ]


@router.post(
    "/brands/{brand_slug}/redemptions/{redemption_id}/fulfilled",
    response_model=schemas.BrandRedemptionPublic,
    summary="Mark a redemption fulfilled (once)",
)
def fulfil_redemption(
    redemption_id: RowId, session: SessionDep, access: BrandAccess = brand_access(Action.manage_rewards)
) -> schemas.BrandRedemptionPublic:
    redemption = rewards_points.get_brand_redemption(session, brand=access.brand, redemption_id=redemption_id)
    rewards_points.fulfil_redemption(session, redemption=redemption, actor=access.user)
    (row,) = [
        row
        for row in rewards_points.list_brand_redemptions(session, brand=access.brand)
        if row.redemption.id == redemption_id
    ]
    return _brand_redemption(row, may_see_address=True)
