"""Royalties, referrals, points and payouts, all posted to the ledger (app/ledger).

Who is owed what is only ever the ledger's balances; the tables here say why (a sale, an award, a payout line).
The accounts per brand and member: ``earnings`` (royalties and commissions, payable), ``payout_pending`` (locked
in an open batch) and ``points``; the brand's side of each posting is one of its own accounts (see
app.ledger.models.AccountKind). Amounts and rounding: app/rewards/money.py.
"""

import csv
import io
import secrets
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, Integer, and_, bindparam, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select, update

from app import rate_limits
from app.accounts.models import User
from app.brands.models import Brand
from app.challenges.models import Product, ProductStatus
from app.columns import id_of, utcnow
from app.communities.models import Community, Membership
from app.config import get_settings
from app.errors import Conflict, Invalid, NotFound
from app.ledger import service as ledger_service
from app.ledger.models import POINTS, AccountKind, LedgerAccount, LedgerEntry, LedgerTransaction, TransactionKind
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind
from app.rewards import money
from app.rewards.models import (
    SHIPPING_ADDRESS_MAX,
    BatchStatus,
    LineStatus,
    PayoutBatch,
    PayoutLine,
    PointsAction,
    PointsAward,
    PointsRule,
    ProductTerms,
    Redemption,
    ReferralCode,
    ReferralSignup,
    RewardItem,
    RewardKind,
    RewardSettings,
    RoyaltyKind,
    RoyaltySplit,
    Sale,
    SaleSource,
)

MAX_IMPORT_ROWS = 5000
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I


def _run(session: Session, statement: Any) -> CursorResult[Any]:
    """Execute an UPDATE whose rowcount says whether its condition held (a claim)."""
    return cast(CursorResult[Any], session.execute(statement))


def _code(length: int) -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(length))


def _member_of_brand(session: Session, *, user: User, brand_id: int) -> bool:
    return (
        session.exec(
            select(Membership.id)
            .join(Community, col(Community.id) == Membership.community_id)
            .where(Membership.user_id == user.id, Community.brand_id == brand_id)
            .limit(1)
        ).first()
        is not None
    )


# ------------------------------------------------------------------------------------------------------------
# Brand settings
# ------------------------------------------------------------------------------------------------------------


def get_reward_settings(session: Session, *, brand: Brand) -> RewardSettings:
    """The brand's rules for money (the defaults until a manager changes them; nothing is stored for reading)."""
    found = session.exec(select(RewardSettings).where(RewardSettings.brand_id == brand.id)).first()
    return found or RewardSettings(brand_id=id_of(brand))


def _commission_bp(session: Session, *, brand_id: int) -> int:
    found = session.exec(select(RewardSettings).where(RewardSettings.brand_id == brand_id)).first()
    return (found or RewardSettings(brand_id=brand_id)).commission_bp


def update_reward_settings(
    session: Session, *, brand: Brand, currency: str, commission_percent: str, payout_threshold: str, hold_days: str
) -> RewardSettings:
    """Change the brand's currency, referral commission, payout threshold and holding period."""
    errors: dict[str, str] = {}
    code = "EUR"
    try:
        code = money.parse_currency(currency)
    except money.MoneyError as error:
        errors["currency"] = str(error)
    values: dict[str, int] = {}
    for name, text, parse in (
        ("commission_percent", commission_percent, money.parse_percent),
        ("payout_threshold", payout_threshold, lambda value: money.parse_amount(value, code)),
    ):
        try:
            values[name] = parse(text)
        except money.MoneyError as error:
            errors[name] = str(error)
    if not hold_days.strip().isdigit() or not 0 <= int(hold_days) <= 365:
        errors["hold_days"] = "Use a whole number of days from 0 to 365."
    if errors:
        raise Invalid("Please correct the marked fields.", fields=errors)
    settings = get_reward_settings(session, brand=brand)
    settings.currency = code
    settings.commission_bp = values["commission_percent"]
    settings.payout_threshold_minor = values["payout_threshold"]
    settings.hold_days = int(hold_days)
    try:
        with session.begin_nested():
            session.add(settings)
            session.flush()
    except IntegrityError as error:
        raise Conflict("Someone else just saved these settings; reload and try again.") from error
    return settings


# ------------------------------------------------------------------------------------------------------------
# Products, terms and royalty splits
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductRow:
    product: Product
    terms: ProductTerms | None
    splits: Sequence[tuple[RoyaltySplit, User]]
    designer: User | None


def list_products(session: Session, *, brand: Brand) -> list[ProductRow]:
    """The brand's products with their terms and splits (three queries for the whole list)."""
    products = session.exec(select(Product).where(Product.brand_id == brand.id).order_by(col(Product.id))).all()
    ids = [id_of(product) for product in products]
    terms = {t.product_id: t for t in session.exec(select(ProductTerms).where(col(ProductTerms.product_id).in_(ids)))}
    splits: dict[int, list[tuple[RoyaltySplit, User]]] = defaultdict(list)
    for row, user in session.exec(
        select(RoyaltySplit, User)
        .join(User, col(User.id) == RoyaltySplit.user_id)
        .where(col(RoyaltySplit.product_id).in_(ids))
        .order_by(col(RoyaltySplit.share_bp).desc(), col(RoyaltySplit.user_id))
    ):
        splits[row.product_id].append((row, user))
    designer_ids = {product.designer_id for product in products if product.designer_id}
    designers = {id_of(u): u for u in session.exec(select(User).where(col(User.id).in_(designer_ids)))}
    return [
        ProductRow(
            product=product,
            terms=terms.get(id_of(product)),
            splits=splits.get(id_of(product), []),
            designer=designers.get(product.designer_id or 0),
        )
        for product in products
    ]


def get_product(session: Session, *, brand: Brand, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None or product.brand_id != brand.id:
        raise NotFound("There is no such product.")
    return product


@dataclass(frozen=True)
class TermsFields:
    """What a manager types about a product's terms; checked together so the form shows every problem."""

    price: str
    currency: str
    royalty_kind: str
    royalty_percent: str = "0"
    royalty_fixed: str = "0"
    royalty_min: str = "0"
    # "handle percent" per line, e.g. "ana 60\nben 40"; empty: the product's designer alone.
    splits: str = ""
    live: bool = False


def _parse_splits(session: Session, text: str, product: Product) -> tuple[list[tuple[int, int]], str | None]:
    lines = [line.split() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        if product.designer_id is None:
            return [], "This product has no designer: name who earns its royalty."
        return [(product.designer_id, 10000)], None
    shares: list[tuple[int, int]] = []
    for parts in lines:
        if len(parts) != 2:
            return [], "Write one co-designer per line: their handle, then their percentage."
        handle, percent = parts[0].lstrip("@").lower(), parts[1]
        user = session.exec(select(User).where(User.handle == handle)).first()
        if user is None:
            return [], f"There is nobody with the handle @{handle}."
        try:
            share = money.parse_percent(percent)
        except money.MoneyError as error:
            return [], f"@{handle}: {error}"
        if share == 0:
            return [], f"@{handle}: a share of 0 % earns nothing; leave them out."
        shares.append((id_of(user), share))
    if len({user_id for user_id, _ in shares}) != len(shares):
        return [], "Name each co-designer once."
    total = sum(share for _, share in shares)
    if total != 10000:
        return [], f"The shares add up to {money.plain_amount(total, 'EUR')} %, not 100 %."
    return shares, None


def set_product_terms(session: Session, *, product: Product, fields: TermsFields) -> ProductTerms:
    """Set a product's price, royalty rule and co-designer splits, and whether it is live (on sale)."""
    errors: dict[str, str] = {}
    currency = "EUR"
    try:
        currency = money.parse_currency(fields.currency)
    except money.MoneyError as error:
        errors["currency"] = str(error)
    amounts: dict[str, int] = {}
    for name in ("price", "royalty_fixed", "royalty_min"):
        try:
            amounts[name] = money.parse_amount(getattr(fields, name) or "0", currency)
        except money.MoneyError as error:
            errors[name] = str(error)
    try:
        kind = RoyaltyKind(fields.royalty_kind)
    except ValueError:
        errors["royalty_kind"] = "Choose a percentage of the sale or a fixed amount per unit."
        kind = RoyaltyKind.percent
    try:
        percent_bp = money.parse_percent(fields.royalty_percent or "0")
    except money.MoneyError as error:
        errors["royalty_percent"] = str(error)
        percent_bp = 0
    shares, split_error = _parse_splits(session, fields.splits, product)
    if split_error:
        errors["splits"] = split_error
    if errors:
        raise Invalid("Please correct the marked fields.", fields=errors)
    terms = session.exec(select(ProductTerms).where(ProductTerms.product_id == product.id)).first()
    if terms is not None and terms.currency != currency and _has_sales(session, product=product):
        # Its sales, royalties and refunds are in the old currency: a new one would mix two in one product.
        message = f"{product.name} has sales in {terms.currency}; its currency cannot change now."
        raise Invalid(message, fields={"currency": message})
    if terms is None:
        terms = ProductTerms(product_id=id_of(product), price_minor=0, currency=currency)
    terms.price_minor = amounts["price"]
    terms.currency = currency
    terms.royalty_kind = kind
    terms.royalty_bp = percent_bp if kind == RoyaltyKind.percent else 0
    terms.royalty_fixed_minor = amounts["royalty_fixed"] if kind == RoyaltyKind.fixed else 0
    terms.royalty_min_minor = amounts["royalty_min"]
    terms.updated_at = utcnow()
    session.add(terms)
    for old in session.exec(select(RoyaltySplit).where(RoyaltySplit.product_id == product.id)).all():
        session.delete(old)
    session.flush()
    for user_id, share in shares:
        session.add(RoyaltySplit(product_id=id_of(product), user_id=user_id, share_bp=share))
    product.status = ProductStatus.live if fields.live else ProductStatus.draft
    session.add(product)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:
        raise Conflict("Someone else just changed this product's terms; reload and try again.") from error
    return terms


def _has_sales(session: Session, *, product: Product) -> bool:
    return session.exec(select(Sale.id).where(Sale.product_id == product.id).limit(1)).first() is not None


def royalty_for(terms: ProductTerms, *, quantity: int, unit_price_minor: int) -> int:
    """A sale line's royalty by the product's rule: a percentage of the net amount (half-even) or a fixed amount
    per unit, never below the minimum per unit."""
    if terms.royalty_kind == RoyaltyKind.percent:
        royalty = money.percent_of(quantity * unit_price_minor, terms.royalty_bp)
    else:
        royalty = terms.royalty_fixed_minor * quantity
    return max(royalty, terms.royalty_min_minor * quantity)


# ------------------------------------------------------------------------------------------------------------
# Sales and refunds
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SaleInput:
    """One sale line as it arrives (CSV row or JSON object): text, parsed exactly by record_sales."""

    order_id: str
    product_id: str
    quantity: str
    unit_price: str
    currency: str
    referral_code: str = ""
    # A datetime (JSON), or the CSV's text, read by record_sales; none: now.
    sold_at: datetime | str | None = None
    # The row of the spreadsheet it came from (the header is row 1), so errors name what the brand sees; JSON: none.
    row: int | None = None


@dataclass
class SalesResult:
    recorded: list[Sale] = field(default_factory=list)
    replayed: list[Sale] = field(default_factory=list)


class SalesRejected(Invalid):
    """Some rows were refused; nothing was recorded. ``fields`` maps "row N" to what is wrong with it."""


@dataclass(frozen=True)
class CheckedSale:
    order_id: str
    product: Product
    terms: ProductTerms
    quantity: int
    unit_price_minor: int
    currency: str
    referral: ReferralCode | None
    sold_at: datetime


def _check_sale(
    session: Session,
    *,
    brand: Brand,
    row: SaleInput,
    products: Mapping[int, tuple[Product, ProductTerms | None]],
    now: datetime,
) -> CheckedSale | str:
    order_id = row.order_id.strip()
    if not order_id or len(order_id) > 80:
        return "order_id: give the order's id (up to 80 characters)."
    if not row.product_id.strip().isdigit():
        return "product_id: give the product's number."
    found = products.get(int(row.product_id))
    if found is None:
        return f"product_id: {brand.name} has no product {row.product_id.strip()}."
    product, terms = found
    if product.status != ProductStatus.live or terms is None:
        return f"product_id: {product.name} is not live; set its terms and put it on sale first."
    if not row.quantity.strip().isdigit() or not 1 <= int(row.quantity) <= 100000:
        return "quantity: use a whole number from 1 to 100,000."
    try:
        currency = money.parse_currency(row.currency)
    except money.MoneyError as error:
        return f"currency: {error}"
    if currency != terms.currency:
        return f"currency: {product.name} is sold in {terms.currency}, not {currency}."
    try:
        unit_price = money.parse_amount(row.unit_price, currency)
    except money.MoneyError as error:
        return f"unit_price: {error}"
    referral = None
    if row.referral_code.strip():
        referral = session.exec(
            select(ReferralCode).where(ReferralCode.code == row.referral_code.strip().upper())
        ).first()
        if referral is None or referral.brand_id != brand.id:
            return f"referral_code: {row.referral_code.strip()} is not one of {brand.name}'s referral codes."
    sold_at = row.sold_at or now
    if isinstance(sold_at, str):
        text = sold_at.strip()
        try:
            sold_at = datetime.fromisoformat(text)
        except ValueError:
            return f"sold_at: {text} is not a date and time; use e.g. 2026-11-23T14:05:00+01:00."
    if sold_at.tzinfo is None:
        return "sold_at: give the time with its time zone."
    settings = get_settings()
    if sold_at > now + timedelta(minutes=settings.sale_clock_skew_minutes):
        return f"sold_at: {sold_at.isoformat(timespec='minutes')} is in the future; send sales once they are made."
    if sold_at < now - timedelta(days=settings.sale_max_age_days):
        return (
            f"sold_at: {sold_at.date().isoformat()} is more than {settings.sale_max_age_days} days ago; "
            "sales that old are not accepted."
        )
    return CheckedSale(
        order_id=order_id,
        product=product,
        terms=terms,
        quantity=int(row.quantity),
        unit_price_minor=unit_price,
        currency=currency,
        referral=referral,
        sold_at=min(sold_at, now),
    )


@dataclass
class CheckedSales:
    """Sale lines that passed every check, with those of them recorded before (same order and product)."""

    lines: list[CheckedSale]
    recorded_before: dict[tuple[str, int], Sale]


def check_sales(session: Session, *, brand: Brand, rows: Sequence[SaleInput], now: datetime) -> CheckedSales:
    """Check every sale line, reading only: one bad row refuses the lot, naming each bad row and what is wrong.

    A line recorded before with the same quantity and price is a replay; with other figures it is an error of its
    row.
    """
    if not rows:
        raise Invalid("There are no sales to record.")
    if len(rows) > MAX_IMPORT_ROWS:
        raise Invalid(f"Send at most {MAX_IMPORT_ROWS:,} sale lines at a time.")
    products = {
        id_of(product): (product, terms)
        for product, terms in session.exec(
            select(Product, ProductTerms)
            .outerjoin(ProductTerms, col(ProductTerms.product_id) == Product.id)
            .where(Product.brand_id == brand.id)
        ).all()
    }
    errors: dict[str, str] = {}
    checked: list[CheckedSale] = []
    seen: set[tuple[str, int]] = set()
    labels: dict[tuple[str, int], str] = {}
    for number, row in enumerate(rows, start=1):
        label = f"row {row.row or number}"
        outcome = _check_sale(session, brand=brand, row=row, products=products, now=now)
        if isinstance(outcome, str):
            errors[label] = outcome
            continue
        pair = (outcome.order_id, id_of(outcome.product))
        if pair in seen:
            errors[label] = f"order {outcome.order_id} lists {outcome.product.name} twice; add the quantities."
            continue
        seen.add(pair)
        labels[pair] = label
        checked.append(outcome)
    existing = existing_sales(session, brand_id=id_of(brand), pairs=seen)
    for line in checked:
        pair = (line.order_id, id_of(line.product))
        before = existing.get(pair)
        if before is not None and (before.quantity, before.unit_price_minor) != (line.quantity, line.unit_price_minor):
            errors[labels[pair]] = (
                f"order {line.order_id} of {line.product.name} was recorded before with another quantity or price."
            )
    if errors:
        count = len(errors)
        raise SalesRejected(
            f"{count} row{'s' if count != 1 else ''} could not be read; nothing was recorded.", fields=errors
        )
    return CheckedSales(lines=checked, recorded_before=existing)


def record_sales(
    session: Session, *, brand: Brand, rows: Sequence[SaleInput], source: SaleSource, now: datetime | None = None
) -> SalesResult:
    """Record sale lines and post what each earned (royalties to the designers, commission to the referrer).

    All or nothing: every row is checked first (``check_sales``), and one bad row refuses the lot. A line recorded
    before (same order and product) is a replay: it is returned, and nothing is posted again.
    """
    now = now or utcnow()
    checked = check_sales(session, brand=brand, rows=rows, now=now)
    result = SalesResult()
    for line in checked.lines:
        before = checked.recorded_before.get((line.order_id, id_of(line.product)))
        if before is not None:
            result.replayed.append(before)
            continue
        sale = record_checked_sale(session, brand_id=id_of(brand), line=line, source=source, now=now)
        if sale is None:  # a concurrent request recorded it between the check and the insert
            sale = existing_sales(session, brand_id=id_of(brand), pairs={(line.order_id, id_of(line.product))})[
                (line.order_id, id_of(line.product))
            ]
            result.replayed.append(sale)
        else:
            result.recorded.append(sale)
    return result


def existing_sales(session: Session, *, brand_id: int, pairs: set[tuple[str, int]]) -> dict[tuple[str, int], Sale]:
    """The brand's sales already recorded among these (order id, product id) pairs: a sale's natural key."""
    if not pairs:
        return {}
    order_ids = {order_id for order_id, _ in pairs}
    rows = session.exec(select(Sale).where(Sale.brand_id == brand_id, col(Sale.order_id).in_(order_ids))).all()
    return {(sale.order_id, sale.product_id): sale for sale in rows if (sale.order_id, sale.product_id) in pairs}


def _splits_of(session: Session, product: Product) -> list[tuple[int, int]]:
    shares = [
        (row.user_id, row.share_bp)
        for row in session.exec(select(RoyaltySplit).where(RoyaltySplit.product_id == product.id)).all()
    ]
    if not shares and product.designer_id is not None:
        shares = [(product.designer_id, 10000)]
    return shares


def record_checked_sale(
    session: Session, *, brand_id: int, line: CheckedSale, source: SaleSource, now: datetime
) -> Sale | None:
    """Record one checked sale line and post what it earned; none when the line was recorded already (its
    natural key, order and product, is unique per brand)."""
    sale = Sale(
        brand_id=brand_id,
        product_id=id_of(line.product),
        order_id=line.order_id,
        quantity=line.quantity,
        unit_price_minor=line.unit_price_minor,
        currency=line.currency,
        referral_code_id=line.referral.id if line.referral else None,
        source=source,
        sold_at=line.sold_at,
    )
    try:
        with session.begin_nested():
            session.add(sale)
            session.flush()
    except IntegrityError:
        return None
    net = sale.net_minor
    royalty = royalty_for(line.terms, quantity=line.quantity, unit_price_minor=line.unit_price_minor)
    shares = _splits_of(session, line.product)
    parts = money.split(royalty, shares) if royalty and shares else {}
    commission = 0
    if line.referral is not None:
        commission = money.percent_of(net, _commission_bp(session, brand_id=brand_id))
    credits: dict[int, int] = defaultdict(int)
    for user_id, part in parts.items():
        credits[user_id] += part
    if commission and line.referral is not None:
        credits[line.referral.user_id] += commission
    credits = {user_id: amount for user_id, amount in credits.items() if amount}
    if credits:
        lines = [
            (
                ledger_service.get_account(
                    session, brand_id=brand_id, user_id=user_id, kind=AccountKind.earnings, currency=line.currency
                ),
                amount,
            )
            for user_id, amount in sorted(credits.items())
        ]
        expense = ledger_service.get_account(
            session, brand_id=brand_id, user_id=None, kind=AccountKind.brand_expense, currency=line.currency
        )
        posting = ledger_service.post_transaction(
            session,
            idempotency_key=f"sale:{sale.id}",
            brand_id=brand_id,
            kind=TransactionKind.sale,
            description=f"{line.quantity} x {line.product.name}, order {line.order_id}",
            lines=[(expense, -sum(credits.values())), *lines],
            # Posted when recorded, not when sold: the holding period runs from here, so a backdated sale cannot
            # skip it, and months already on statements never change.
            posted_at=now,
        )
        sale.transaction_id = posting.transaction.id
    sale.royalty_minor = sum(parts.values())
    sale.commission_minor = commission
    session.add(sale)
    session.flush()
    for user_id, part in parts.items():
        if part:
            _notify_user_id(
                session,
                user_id=user_id,
                kind=NotificationKind.royalty_earned,
                text=f"You earned {money.format_amount(part, line.currency)} royalty: "
                f"{line.quantity} x {line.product.name} sold",
                link="/me/earnings",
                rollup=notifications_service.Rollup(
                    subject="earnings",
                    text="You earned {amount} royalties from {count} sales {day}",
                    amount_minor=part,
                    currency=line.currency,
                ),
            )
    if line.referral is not None:
        if commission:
            _notify_user_id(
                session,
                user_id=line.referral.user_id,
                kind=NotificationKind.commission_earned,
                text=f"Your referral brought a sale: {money.format_amount(commission, line.currency)} commission",
                link="/me/referrals",
                rollup=notifications_service.Rollup(
                    subject="referrals",
                    text="Your referrals brought {count} sales {day}: {amount} commission",
                    amount_minor=commission,
                    currency=line.currency,
                ),
            )
        award_points(
            session,
            user_id=line.referral.user_id,
            brand_id=brand_id,
            action=PointsAction.referral_converted,
            source_key=f"sale:{sale.id}",
            now=now,
        )
    return sale


def _notify_user_id(
    session: Session,
    *,
    user_id: int,
    kind: NotificationKind,
    text: str,
    link: str,
    rollup: notifications_service.Rollup | None = None,
) -> None:
    user = session.get(User, user_id)
    if user is not None:
        notifications_service.notify(session, user=user, kind=kind, text=text, link=link, rollup=rollup)


def list_sales(session: Session, *, brand: Brand, limit: int = 200) -> Sequence[tuple[Sale, Product]]:
    """The brand's latest sale lines with their products."""
    return session.exec(
        select(Sale, Product)
        .join(Product, col(Product.id) == Sale.product_id)
        .where(Sale.brand_id == brand.id)
        .order_by(col(Sale.id).desc())
        .limit(limit)
    ).all()


def get_sale(session: Session, *, brand: Brand, sale_id: int) -> Sale:
    sale = session.get(Sale, sale_id)
    if sale is None or sale.brand_id != brand.id:
        raise NotFound("There is no such sale.")
    return sale


def refund_sale(session: Session, *, sale: Sale, now: datetime | None = None) -> Sale:
    """Refund a sale line: what it earned is reversed (once; a second refund is refused)."""
    now = now or utcnow()
    # Claim the refund with a conditional UPDATE, so two refunds at once reverse once.
    claimed = _run(
        session,
        update(Sale)
        .where(col(Sale.id) == sale.id, col(Sale.refunded_at).is_(None))
        .values(refunded_at=now)
        .execution_options(synchronize_session=False),
    )
    if not claimed.rowcount:
        raise Conflict(f"Order {sale.order_id} is refunded already.")
    session.refresh(sale)
    if sale.transaction_id is not None:
        original = session.get(LedgerTransaction, sale.transaction_id)
        assert original is not None
        posting = ledger_service.reverse_transaction(
            session,
            transaction=original,
            idempotency_key=f"refund:{sale.id}",
            description=f"Refund of {original.description}",
            kind=TransactionKind.refund,
            posted_at=now,
        )
        sale.refund_transaction_id = posting.transaction.id
        session.add(sale)
        session.flush()
    return sale


# ------------------------------------------------------------------------------------------------------------
# Referrals
# ------------------------------------------------------------------------------------------------------------


def referral_code_for(session: Session, *, user: User, brand: Brand) -> ReferralCode:
    """The member's referral code for a brand, made on first use (members of the brand's communities only)."""
    existing = session.exec(
        select(ReferralCode).where(ReferralCode.brand_id == brand.id, ReferralCode.user_id == user.id)
    ).first()
    if existing is not None:
        return existing
    if not _member_of_brand(session, user=user, brand_id=id_of(brand)):
        raise NotFound("There is no such brand among your communities.")
    for _attempt in range(5):
        code = ReferralCode(code=_code(8), brand_id=id_of(brand), user_id=id_of(user))
        try:
            with session.begin_nested():
                session.add(code)
                session.flush()
            return code
        except IntegrityError:
            existing = session.exec(
                select(ReferralCode).where(ReferralCode.brand_id == brand.id, ReferralCode.user_id == user.id)
            ).first()
            if existing is not None:
                return existing
    raise Conflict("Could not make a referral code just now; try again.")


def find_referral_code(session: Session, *, code: str) -> ReferralCode | None:
    return session.exec(select(ReferralCode).where(ReferralCode.code == code.strip().upper())).first()


def record_click(session: Session, *, code: str, visitor: str) -> ReferralCode | None:
    """Count a visit through a referral link (one UPDATE); None for an unknown code.

    ``visitor`` (the client's address) is counted at most once per code in the setting's window, so reloading a
    link, or a script hitting it, does not inflate the referrer's funnel; the visit itself is never refused.
    """
    referral = find_referral_code(session, code=code)
    if referral is None:
        return None
    if not rate_limits.first_within(
        get_settings().referral_click_rate_per_visitor, "referral-click", f"{referral.code}:{visitor}"
    ):
        return referral
    session.execute(
        update(ReferralCode)
        .where(col(ReferralCode.id) == referral.id)
        .values(click_count=ReferralCode.click_count + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(referral)
    return referral


def attribute_signup(session: Session, *, user: User, code: str) -> ReferralSignup | None:
    """Credit a new account to the referral link it came through (the accounts sign-up calls this)."""
    referral = find_referral_code(session, code=code) if code else None
    if referral is None or referral.user_id == user.id:
        return None
    signup = ReferralSignup(referral_code_id=id_of(referral), user_id=id_of(user))
    try:
        with session.begin_nested():
            session.add(signup)
            session.flush()
    except IntegrityError:
        return None
    session.execute(
        update(ReferralCode)
        .where(col(ReferralCode.id) == referral.id)
        .values(signup_count=ReferralCode.signup_count + 1)
        .execution_options(synchronize_session=False)
    )
    session.expire(referral, ["signup_count"])
    return signup


@dataclass(frozen=True)
class ReferralFunnel:
    brand: Brand
    code: ReferralCode
    clicks: int
    signups: int
    purchases: int
    earnings: dict[str, int]  # currency -> commission earned (refunds taken off)


def referral_funnels(session: Session, *, user: User) -> list[ReferralFunnel]:
    """A member's referral codes, each with its funnel: clicks, sign-ups, purchases and earnings."""
    codes = session.exec(
        select(ReferralCode, Brand)
        .join(Brand, col(Brand.id) == ReferralCode.brand_id)
        .where(ReferralCode.user_id == user.id)
        .order_by(col(Brand.name))
    ).all()
    ids = [id_of(code) for code, _ in codes]
    purchases: dict[int, int] = defaultdict(int)
    earnings: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for code_id, currency, count, total in session.exec(
        select(Sale.referral_code_id, Sale.currency, func.count(), func.sum(Sale.commission_minor))
        .where(col(Sale.referral_code_id).in_(ids), col(Sale.refunded_at).is_(None))
        .group_by(col(Sale.referral_code_id), col(Sale.currency))
    ).all():
        assert code_id is not None
        purchases[code_id] += count
        earnings[code_id][currency] += int(total or 0)
    return [
        ReferralFunnel(
            brand=brand,
            code=code,
            clicks=code.click_count,
            signups=code.signup_count,
            purchases=purchases[id_of(code)],
            earnings=dict(earnings[id_of(code)]),
        )
        for code, brand in codes
    ]


def brands_to_refer(session: Session, *, user: User) -> Sequence[Brand]:
    """The brands of the communities someone belongs to (those they may make referral codes for)."""
    return session.exec(
        select(Brand)
        .join(Community, col(Community.brand_id) == Brand.id)
        .join(Membership, col(Membership.community_id) == Community.id)
        .where(Membership.user_id == user.id)
        .distinct()
        .order_by(col(Brand.name))
    ).all()


# ------------------------------------------------------------------------------------------------------------
# Points: rules, awards, the catalog and redemptions
# ------------------------------------------------------------------------------------------------------------

_RULE_QUERY = (
    select(PointsRule)
    .where(
        col(PointsRule.brand_id) == bindparam("brand_id", type_=Integer),
        col(PointsRule.action) == bindparam("action"),
    )
    .limit(1)
)


def award_points(
    session: Session,
    *,
    user_id: int,
    brand_id: int,
    action: PointsAction,
    source_key: str,
    now: datetime | None = None,
) -> PointsAward | None:
    """Give a member the brand's points for something they did, if the brand has a rule for it.

    ``source_key`` names the thing done ("design:17"): the same thing never earns twice. At most the rule's daily
    cap of awards per member, action and UTC day (no farming by repeating an action). Without a rule this is one
    SELECT, so hot paths (scoring) can call it. Returns the award, or None when nothing was given.
    """
    rule = session.exec(_RULE_QUERY, params={"brand_id": brand_id, "action": action.value}).first()  # type: ignore[call-overload]
    if rule is None:
        return None
    now = now or utcnow()
    day = now.astimezone(UTC).date()
    existing = session.exec(
        select(PointsAward).where(
            PointsAward.brand_id == brand_id,
            PointsAward.user_id == user_id,
            PointsAward.action == action,
            PointsAward.source_key == source_key,
        )
    ).first()
    if existing is not None:
        return existing
    account = ledger_service.get_account(
        session, brand_id=brand_id, user_id=user_id, kind=AccountKind.points, currency=POINTS
    )
    # The member's points account is the lock that serialises their awards, so the cap holds under concurrency.
    ledger_service.lock_account(session, account=account)
    today = session.exec(
        select(func.count())
        .select_from(PointsAward)
        .where(
            PointsAward.brand_id == brand_id,
            PointsAward.user_id == user_id,
            PointsAward.action == action,
            PointsAward.day == day,
        )
    ).one()
    if today >= rule.daily_cap:
        return None
    issued = ledger_service.get_account(
        session, brand_id=brand_id, user_id=None, kind=AccountKind.points_issued, currency=POINTS
    )
    posting = ledger_service.post_transaction(
        session,
        idempotency_key=f"points:{brand_id}:{user_id}:{action.value}:{source_key}",
        brand_id=brand_id,
        kind=TransactionKind.points_award,
        description=f"{rule.points} points: {action.value.replace('_', ' ')}",
        lines=[(issued, -rule.points), (account, rule.points)],
        posted_at=now,
    )
    award = PointsAward(
        brand_id=brand_id,
        user_id=user_id,
        action=action,
        source_key=source_key,
        day=day,
        points=rule.points,
        transaction_id=id_of(posting.transaction),
        created_at=now,
    )
    session.add(award)
    session.flush()
    return award


def list_points_rules(session: Session, *, brand: Brand) -> Sequence[PointsRule]:
    return session.exec(
        select(PointsRule).where(PointsRule.brand_id == brand.id).order_by(col(PointsRule.action))
    ).all()


def set_points_rule(session: Session, *, brand: Brand, action: str, points: str, daily_cap: str) -> PointsRule | None:
    """Set how many points an action earns and its daily cap; 0 points removes the rule."""
    errors: dict[str, str] = {}
    try:
        chosen = PointsAction(action)
    except ValueError:
        errors["action"] = "Choose one of the actions listed."
        chosen = PointsAction.design_submitted
    if not points.strip().isdigit() or int(points) > 100000:
        errors["points"] = "Use a whole number of points from 0 to 100,000."
    if not daily_cap.strip().isdigit() or not 1 <= int(daily_cap) <= 1000:
        errors["daily_cap"] = "Allow from 1 to 1,000 awards a day."
    if errors:
        raise Invalid("Please correct the marked fields.", fields=errors)
    rule = session.exec(select(PointsRule).where(PointsRule.brand_id == brand.id, PointsRule.action == chosen)).first()
    if int(points) == 0:
        if rule is not None:
            session.delete(rule)
            session.flush()
        return None
    rule = rule or PointsRule(brand_id=id_of(brand), action=chosen, points=1)
    rule.points = int(points)
    rule.daily_cap = int(daily_cap)
    try:
        with session.begin_nested():
            session.add(rule)
            session.flush()
    except IntegrityError as error:
        raise Conflict("Someone else just set this rule; reload and try again.") from error
    return rule


def list_catalog(session: Session, *, brand_id: int) -> Sequence[RewardItem]:
    return session.exec(
        select(RewardItem).where(RewardItem.brand_id == brand_id).order_by(col(RewardItem.points_cost))
    ).all()


def add_reward_item(
    session: Session, *, brand: Brand, name: str, description: str, kind: str, points_cost: str, stock: str
) -> RewardItem:
    """Put a reward in the brand's catalog."""
    errors: dict[str, str] = {}
    if not name.strip() or len(name.strip()) > 120:
        errors["name"] = "Name the reward (up to 120 characters)."
    if len(description) > 1000:
        errors["description"] = "Use at most 1,000 characters."
    try:
        reward_kind = RewardKind(kind)
    except ValueError:
        errors["kind"] = "Choose a discount code or merchandise."
        reward_kind = RewardKind.discount_code
    if not points_cost.strip().isdigit() or not 1 <= int(points_cost) <= 1_000_000:
        errors["points_cost"] = "Use a whole number of points from 1 to 1,000,000."
    if not stock.strip().isdigit() or int(stock) > 1_000_000:
        errors["stock"] = "Use a whole number from 0 to 1,000,000."
    if errors:
        raise Invalid("Please correct the marked fields.", fields=errors)
    item = RewardItem(
        brand_id=id_of(brand),
        name=name.strip(),
        description=description.strip(),
        kind=reward_kind,
        points_cost=int(points_cost),
        stock=int(stock),
    )
    session.add(item)
    session.flush()
    return item


def points_balance(session: Session, *, user: User, brand_id: int) -> int:
    account = ledger_service.find_account(
        session, brand_id=brand_id, user_id=user.id, kind=AccountKind.points, currency=POINTS
    )
    return account.balance_minor if account is not None else 0


def _clean_shipping_address(text: str) -> str:
    """The address as the member wrote it, lines trimmed and blank lines dropped."""
    lines = [" ".join(line.split()) for line in (text or "").splitlines()]
    address = "\n".join(line for line in lines if line)
    if len(address) < 10 or "\n" not in address:
        raise Invalid(
            "Please correct the marked field.",
            fields={"shipping_address": "Where should we send it? Give a name and a postal address on separate lines."},
        )
    if len(address) > SHIPPING_ADDRESS_MAX:
        raise Invalid(
            "Please correct the marked field.",
            fields={"shipping_address": f"Keep the address to {SHIPPING_ADDRESS_MAX} characters."},
        )
    return address


def _replayed_redemption(session: Session, *, request_key: str, user: User) -> Redemption | None:
    replay = session.exec(select(Redemption).where(Redemption.request_key == request_key)).first()
    if replay is not None and replay.user_id != user.id:
        raise Conflict("This request key was used for another redemption.")
    return replay


def redeem(
    session: Session,
    *,
    user: User,
    item_id: int,
    request_key: str,
    shipping_address: str = "",
    now: datetime | None = None,
) -> Redemption:
    """Spend points on a reward: the stock, the points and the unique code move together or not at all.

    The member's points account is locked first (PostgreSQL row lock; SQLite's write lock), so two redemptions
    at once cannot both spend the same points; the stock is taken by a conditional UPDATE (never below zero).
    ``request_key`` (one per form or API call) makes a replayed request return the first redemption.
    """
    now = now or utcnow()
    request_key = request_key.strip()
    if not request_key or len(request_key) > 100:
        raise Invalid("Send a request key of 1 to 100 characters with each redemption.")
    replay = _replayed_redemption(session, request_key=request_key, user=user)
    if replay is not None:
        return replay
    item = session.get(RewardItem, item_id)
    if item is None or not _member_of_brand(session, user=user, brand_id=item.brand_id):
        raise NotFound("There is no such reward.")
    address = _clean_shipping_address(shipping_address) if item.kind == RewardKind.merchandise else ""
    account = ledger_service.get_account(
        session, brand_id=item.brand_id, user_id=id_of(user), kind=AccountKind.points, currency=POINTS
    )
    ledger_service.lock_account(session, account=account)
    # The same key sent twice at once: the second waited on the lock above for the first to commit; it now replays
    # that redemption instead of spending again (or failing on the used key). Replays are not counted by the limit.
    replay = _replayed_redemption(session, request_key=request_key, user=user)
    if replay is not None:
        return replay
    rate_limits.hit(
        get_settings().redeem_rate_per_account,
        "redeem",
        str(user.id),
        message="You are redeeming very fast; wait a minute.",
    )
    if account.balance_minor < item.points_cost:
        raise Conflict(f"{item.name} costs {item.points_cost:,} points; you have {account.balance_minor:,}.")
    taken = _run(
        session,
        update(RewardItem)
        .where(col(RewardItem.id) == item.id, col(RewardItem.stock) > 0)
        .values(stock=RewardItem.stock - 1)
        .execution_options(synchronize_session=False),
    )
    if not taken.rowcount:
        raise Conflict(f"{item.name} is out of stock.")
    session.refresh(item)
    spent = ledger_service.get_account(
        session, brand_id=item.brand_id, user_id=None, kind=AccountKind.points_spent, currency=POINTS
    )
    posting = ledger_service.post_transaction(
        session,
        idempotency_key=f"redeem:{request_key}",
        brand_id=item.brand_id,
        kind=TransactionKind.redemption,
        description=f"Redeemed: {item.name}",
        lines=[(account, -item.points_cost), (spent, item.points_cost)],
        posted_at=now,
    )
    redemption = Redemption(
        item_id=id_of(item),
        user_id=id_of(user),
        brand_id=item.brand_id,
        points=item.points_cost,
        code=f"{_code(4)}-{_code(4)}-{_code(4)}",
        request_key=request_key,
        transaction_id=id_of(posting.transaction),
        created_at=now,
        shipping_address=address,
    )
    try:
        with session.begin_nested():
            session.add(redemption)
            session.flush()
    except IntegrityError as error:  # a 60-bit code collided, or the same request key raced in
        raise Conflict("This redemption could not be completed; try again.") from error
    what = "Your discount code" if item.kind == RewardKind.discount_code else "Your order code"
    notifications_service.notify(
        session,
        user=user,
        kind=NotificationKind.redemption_code,
        text=f"{what} for {item.name}: {redemption.code}",
        link="/me/points",
    )
    return redemption


@dataclass(frozen=True)
class PointsOverview:
    brand: Brand
    balance: int
    catalog: Sequence[RewardItem]


def points_overview(session: Session, *, user: User) -> list[PointsOverview]:
    """For each brand of someone's communities: their points there and that brand's catalog."""
    return [
        PointsOverview(
            brand=brand,
            balance=points_balance(session, user=user, brand_id=id_of(brand)),
            catalog=list_catalog(session, brand_id=id_of(brand)),
        )
        for brand in brands_to_refer(session, user=user)
    ]


def list_redemptions(session: Session, *, user: User) -> Sequence[tuple[Redemption, RewardItem]]:
    return session.exec(
        select(Redemption, RewardItem)
        .join(RewardItem, col(RewardItem.id) == Redemption.item_id)
        .where(Redemption.user_id == user.id)
        .order_by(col(Redemption.id).desc())
    ).all()


@dataclass(frozen=True)
class BrandRedemption:
    redemption: Redemption
    item: RewardItem
    member: User


def list_brand_redemptions(session: Session, *, brand: Brand, limit: int = 500) -> list[BrandRedemption]:
    """The rewards redeemed at a brand, those still to fulfil first, then the latest (one query)."""
    rows = session.exec(
        select(Redemption, RewardItem, User)
        .join(RewardItem, col(RewardItem.id) == Redemption.item_id)
        .join(User, col(User.id) == Redemption.user_id)
        .where(Redemption.brand_id == brand.id)
        .order_by(col(Redemption.fulfilled_at).is_not(None), col(Redemption.id).desc())
        .limit(limit)
    ).all()
    return [BrandRedemption(redemption=redemption, item=item, member=member) for redemption, item, member in rows]


def get_brand_redemption(session: Session, *, brand: Brand, redemption_id: int) -> Redemption:
    redemption = session.get(Redemption, redemption_id)
    if redemption is None or redemption.brand_id != brand.id:
        raise NotFound("There is no such redemption.")
    return redemption


def fulfil_redemption(
    session: Session, *, redemption: Redemption, actor: User, now: datetime | None = None
) -> Redemption:
    """Mark a redemption fulfilled (the reward sent, the code honoured); once: a second time is refused."""
    claimed = _run(
        session,
        update(Redemption)
        .where(col(Redemption.id) == redemption.id, col(Redemption.fulfilled_at).is_(None))
        .values(fulfilled_at=now or utcnow(), fulfilled_by_id=actor.id)
        .execution_options(synchronize_session=False),
    )
    session.refresh(redemption)
    if not claimed.rowcount:
        raise Conflict(f"Redemption {redemption.code} is fulfilled already.")
    return redemption


# ------------------------------------------------------------------------------------------------------------
# Payouts
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PayoutRecipient:
    line: PayoutLine
    user: User


@dataclass(frozen=True)
class PayoutFile:
    content: bytes
    media_type: str
    filename: str


class PayoutProvider(Protocol):
    """A way to pay a batch: today a CSV for the brand's bank, later a payment service's API."""

    name: str

    def export(self, *, batch: PayoutBatch, recipients: Sequence[PayoutRecipient]) -> PayoutFile: ...


class ManualCsvProvider:
    """A CSV of the pending lines for a bank's or PayPal's mass payment upload; the staff mark lines paid after."""

    name = "manual_csv"

    def export(self, *, batch: PayoutBatch, recipients: Sequence[PayoutRecipient]) -> PayoutFile:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["line_id", "email", "name", "amount", "currency", "reference"])
        for recipient in recipients:
            if recipient.line.status != LineStatus.pending:
                continue
            writer.writerow(
                [
                    recipient.line.id,
                    recipient.user.email,
                    _csv_safe(recipient.user.display_name),
                    money.plain_amount(recipient.line.amount_minor, batch.currency),
                    batch.currency,
                    f"chorus-payout-{batch.id}-{recipient.line.id}",
                ]
            )
        return PayoutFile(
            content=buffer.getvalue().encode(), media_type="text/csv", filename=f"payout-batch-{batch.id}.csv"
        )


def _csv_safe(text: str) -> str:
    """No formula injection when the file is opened in a spreadsheet."""
    return "'" + text if text[:1] in {"=", "+", "-", "@"} else text


_BATCH_OPEN = "A payout batch in this currency is open already: settle it before opening another."
PROVIDERS: dict[str, PayoutProvider] = {ManualCsvProvider.name: ManualCsvProvider()}


def _held_minor(session: Session, *, account: LedgerAccount, cutoff: datetime) -> int:
    """Earnings still inside the holding period: the credits of sales posted after the cutoff, net of their refunds.

    A refund nets against the sale it reverses: a sale refunded while held leaves nothing held and takes nothing
    from what is available; once a sale's hold is over, its refund comes off the available balance.
    """
    return int(session.exec(_held_sum(cutoff).where(LedgerEntry.account_id == account.id)).one())


def _held_sum(cutoff: datetime) -> Any:
    """The sum of held entries (see ``_held_minor``), for the caller to limit to some accounts."""
    reversed_sale = aliased(LedgerTransaction)
    return (
        select(func.coalesce(func.sum(LedgerEntry.amount_minor), 0))
        .join(LedgerTransaction, col(LedgerTransaction.id) == LedgerEntry.transaction_id)
        .outerjoin(reversed_sale, col(reversed_sale.id) == LedgerTransaction.reverses_id)
        .where(
            or_(
                and_(col(LedgerTransaction.kind) == TransactionKind.sale, col(LedgerTransaction.posted_at) > cutoff),
                and_(
                    col(LedgerTransaction.kind) == TransactionKind.refund,
                    col(reversed_sale.kind) == TransactionKind.sale,
                    col(reversed_sale.posted_at) > cutoff,
                ),
            ),
        )
    )


def payable_minor(session: Session, *, account: LedgerAccount, cutoff: datetime) -> int:
    """What a batch with this cutoff may pay from an earnings account: its balance less what is still held."""
    return account.balance_minor - _held_minor(session, account=account, cutoff=cutoff)


def _member_accounts(session: Session, *, brand_id: int, kind: AccountKind, currency: str) -> Sequence[LedgerAccount]:
    return session.exec(
        select(LedgerAccount)
        .where(
            LedgerAccount.brand_id == brand_id,
            LedgerAccount.kind == kind,
            LedgerAccount.currency == currency,
            col(LedgerAccount.user_id).is_not(None),
        )
        .order_by(col(LedgerAccount.user_id))
    ).all()


@dataclass(frozen=True)
class PayoutCurrency:
    """A currency a payout batch may be opened in, with what members are owed in it outside open batches."""

    currency: str
    current: bool  # the brand's currency now
    balance_minor: int  # the members' earnings balances in it (some may still be inside the holding period)


def payout_currencies(session: Session, *, brand: Brand) -> list[PayoutCurrency]:
    """The brand's currency now, then each older one in which members still have earnings, by code.

    Money earned before a change of currency stays owed in the currency it was earned in (the ledger never
    converts), so each such currency gets batches of its own: one batch, and each of its lines, in one currency.
    """
    current = get_reward_settings(session, brand=brand).currency
    balances = dict(
        session.exec(
            select(LedgerAccount.currency, func.sum(LedgerAccount.balance_minor))
            .where(
                LedgerAccount.brand_id == brand.id,
                LedgerAccount.kind == AccountKind.earnings,
                col(LedgerAccount.user_id).is_not(None),
                LedgerAccount.balance_minor > 0,
            )
            .group_by(col(LedgerAccount.currency))
        ).all()
    )
    codes = [current, *sorted(code for code in balances if code != current)]
    return [
        PayoutCurrency(currency=code, current=code == current, balance_minor=int(balances.get(code) or 0))
        for code in codes
    ]


def _payout_currency(session: Session, *, brand: Brand, currency: str | None) -> PayoutCurrency:
    choices = payout_currencies(session, brand=brand)
    if not currency:
        return choices[0]
    try:
        code = money.parse_currency(currency)
    except money.MoneyError as error:
        raise Invalid(str(error), fields={"currency": str(error)}) from None
    for choice in choices:
        if choice.currency == code:
            return choice
    if session.exec(select(PayoutBatch.id).where(PayoutBatch.open_key == f"{brand.id}:{code}")).first() is not None:
        raise Conflict(_BATCH_OPEN)  # what was owed in it is locked in that batch
    message = f"No member is owed anything in {code}; choose one of {', '.join(c.currency for c in choices)}."
    raise Invalid(message, fields={"currency": message})


def open_batch(
    session: Session,
    *,
    brand: Brand,
    created_by: User,
    currency: str | None = None,
    provider: str = ManualCsvProvider.name,
    now: datetime | None = None,
) -> PayoutBatch:
    """Open a payout batch in one currency (the brand's currency by default): every member balance in it at or over
    the threshold, less what is inside the holding period, is locked into it (moved to their payout_pending
    account), so no balance is in two batches.

    The threshold is set in the brand's currency now. A currency the brand used before earns nothing new, so a
    threshold would keep its small balances waiting forever: a batch in it pays every balance above zero.
    One open batch per brand and currency (a unique key): of two runs at once, the second is refused.
    """
    now = now or utcnow()
    settings = get_reward_settings(session, brand=brand)
    if provider not in PROVIDERS:
        raise Invalid(f"There is no payout provider {provider!r}.")
    choice = _payout_currency(session, brand=brand, currency=currency)
    code = choice.currency
    threshold_minor = settings.payout_threshold_minor if choice.current else 0
    cutoff = now - timedelta(days=settings.hold_days)
    brand_id = id_of(brand)
    open_key = f"{brand_id}:{code}"
    if session.exec(select(PayoutBatch.id).where(PayoutBatch.open_key == open_key)).first() is not None:
        raise Conflict(_BATCH_OPEN)
    candidates = [
        account
        for account in _member_accounts(session, brand_id=brand_id, kind=AccountKind.earnings, currency=code)
        if payable_minor(session, account=account, cutoff=cutoff) >= max(threshold_minor, 1)
    ]
    if not candidates:
        raise Conflict(
            f"No balance in {code} is at or over {money.format_amount(max(threshold_minor, 1), code)} "
            f"outside the {settings.hold_days}-day holding period: there is nothing to pay."
        )
    batch = PayoutBatch(
        brand_id=brand_id,
        currency=code,
        open_key=open_key,
        threshold_minor=threshold_minor,
        hold_days=settings.hold_days,
        cutoff_at=cutoff,
        provider=provider,
        created_by_id=created_by.id,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(batch)
            session.flush()
    except IntegrityError as error:
        raise Conflict(_BATCH_OPEN) from error
    for account in candidates:
        ledger_service.lock_account(session, account=account)
        amount = payable_minor(session, account=account, cutoff=cutoff)
        if amount < max(threshold_minor, 1):
            continue
        assert account.user_id is not None
        pending = ledger_service.get_account(
            session,
            brand_id=brand_id,
            user_id=account.user_id,
            kind=AccountKind.payout_pending,
            currency=code,
        )
        posting = ledger_service.post_transaction(
            session,
            idempotency_key=f"payout:{batch.id}:lock:{account.user_id}",
            brand_id=brand_id,
            kind=TransactionKind.payout_lock,
            description=f"In payout batch {batch.id}",
            lines=[(account, -amount), (pending, amount)],
            posted_at=now,
        )
        session.add(
            PayoutLine(
                batch_id=id_of(batch),
                user_id=account.user_id,
                amount_minor=amount,
                lock_transaction_id=id_of(posting.transaction),
            )
        )
    session.flush()
    _close_if_settled(session, batch=batch, now=now)
    return batch


def list_batches(session: Session, *, brand: Brand) -> Sequence[PayoutBatch]:
    return session.exec(
        select(PayoutBatch).where(PayoutBatch.brand_id == brand.id).order_by(col(PayoutBatch.id).desc())
    ).all()


def get_batch(session: Session, *, brand: Brand, batch_id: int) -> PayoutBatch:
    batch = session.get(PayoutBatch, batch_id)
    if batch is None or batch.brand_id != brand.id:
        raise NotFound("There is no such payout batch.")
    return batch


def batch_recipients(session: Session, *, batch: PayoutBatch) -> list[PayoutRecipient]:
    rows = session.exec(
        select(PayoutLine, User)
        .join(User, col(User.id) == PayoutLine.user_id)
        .where(PayoutLine.batch_id == batch.id)
        .order_by(col(PayoutLine.amount_minor).desc(), col(PayoutLine.id))
    ).all()
    return [PayoutRecipient(line=line, user=user) for line, user in rows]


def export_batch(session: Session, *, batch: PayoutBatch, now: datetime | None = None) -> PayoutFile:
    """The batch's file for its provider (the pending lines); the batch remembers when it was first exported."""
    payout_file = PROVIDERS[batch.provider].export(batch=batch, recipients=batch_recipients(session, batch=batch))
    if batch.exported_at is None:
        batch.exported_at = now or utcnow()
        session.add(batch)
        session.flush()
    return payout_file


def _claim_line(session: Session, *, line: PayoutLine, status: LineStatus, now: datetime, **values: str) -> bool:
    claimed = _run(
        session,
        update(PayoutLine)
        .where(col(PayoutLine.id) == line.id, col(PayoutLine.status) == LineStatus.pending)
        .values(status=status, settled_at=now, **values)
        .execution_options(synchronize_session=False),
    )
    session.refresh(line)
    return bool(claimed.rowcount)


def _pending_lines(session: Session, *, batch: PayoutBatch, line_id: int | None) -> Sequence[PayoutLine]:
    query = select(PayoutLine).where(PayoutLine.batch_id == batch.id, PayoutLine.status == LineStatus.pending)
    if line_id is not None:
        query = query.where(PayoutLine.id == line_id)
    return session.exec(query.order_by(col(PayoutLine.id))).all()


def mark_paid(
    session: Session,
    *,
    batch: PayoutBatch,
    line_id: int | None = None,
    reference: str = "",
    now: datetime | None = None,
) -> list[PayoutLine]:
    """Mark one pending line of the batch paid, or all of them (line_id None); each is paid once."""
    now = now or utcnow()
    lines = _pending_lines(session, batch=batch, line_id=line_id)
    if line_id is not None and not lines:
        raise Conflict("This payout line is not pending: it was settled already.")
    brand = session.get(Brand, batch.brand_id)
    assert brand is not None
    paid_account = ledger_service.get_account(
        session, brand_id=batch.brand_id, user_id=None, kind=AccountKind.brand_paid, currency=batch.currency
    )
    done = []
    for line in lines:
        if not _claim_line(session, line=line, status=LineStatus.paid, now=now, provider_reference=reference[:120]):
            continue
        pending = ledger_service.get_account(
            session,
            brand_id=batch.brand_id,
            user_id=line.user_id,
            kind=AccountKind.payout_pending,
            currency=batch.currency,
        )
        ledger_service.post_transaction(
            session,
            idempotency_key=f"payout-line:{line.id}:paid",
            brand_id=batch.brand_id,
            kind=TransactionKind.payout_paid,
            description=f"Paid in payout batch {batch.id}",
            lines=[(pending, -line.amount_minor), (paid_account, line.amount_minor)],
            posted_at=now,
        )
        _notify_user_id(
            session,
            user_id=line.user_id,
            kind=NotificationKind.payout_paid,
            text=f"{brand.name} paid you {money.format_amount(line.amount_minor, batch.currency)}",
            link="/me/earnings",
        )
        done.append(line)
    if line_id is not None and not done:
        # Another request settled the line between our read and our claim (it waited for that one's commit).
        raise Conflict("This payout line is not pending: it was settled already.")
    _close_if_settled(session, batch=batch, now=now)
    return done


def mark_failed(
    session: Session, *, batch: PayoutBatch, line_id: int, reason: str, now: datetime | None = None
) -> PayoutLine:
    """A line could not be paid: its money returns to the member's earnings, and a later batch includes it again."""
    now = now or utcnow()
    reason = reason.strip()
    if not reason or len(reason) > 300:
        raise Invalid("Say why the payment failed (up to 300 characters).", fields={"reason": "Say why it failed."})
    lines = _pending_lines(session, batch=batch, line_id=line_id)
    if not lines or not _claim_line(session, line=lines[0], status=LineStatus.failed, now=now, failure_reason=reason):
        raise Conflict("This payout line is not pending: it was settled already.")
    line = lines[0]
    pending = ledger_service.get_account(
        session, brand_id=batch.brand_id, user_id=line.user_id, kind=AccountKind.payout_pending, currency=batch.currency
    )
    earnings = ledger_service.get_account(
        session, brand_id=batch.brand_id, user_id=line.user_id, kind=AccountKind.earnings, currency=batch.currency
    )
    ledger_service.post_transaction(
        session,
        idempotency_key=f"payout-line:{line.id}:failed",
        brand_id=batch.brand_id,
        kind=TransactionKind.payout_return,
        description=f"Payout batch {batch.id} failed: back in your balance",
        lines=[(pending, -line.amount_minor), (earnings, line.amount_minor)],
        posted_at=now,
    )
    _notify_user_id(
        session,
        user_id=line.user_id,
        kind=NotificationKind.payout_failed,
        text=f"A payout of {money.format_amount(line.amount_minor, batch.currency)} failed ({reason}); "
        "it is back in your balance for the next batch",
        link="/me/earnings",
    )
    _close_if_settled(session, batch=batch, now=now)
    return line


def _close_if_settled(session: Session, *, batch: PayoutBatch, now: datetime) -> None:
    if batch.status != BatchStatus.open or _pending_lines(session, batch=batch, line_id=None):
        return
    batch.status = BatchStatus.closed
    batch.open_key = None
    batch.closed_at = now
    session.add(batch)
    session.flush()


# ------------------------------------------------------------------------------------------------------------
# Earnings, statements and the liability report
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EarningsLine:
    posted_at: datetime
    brand_name: str
    description: str
    kind: TransactionKind
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class BrandBalance:
    brand: Brand
    currency: str
    available_minor: int  # in the earnings account, outside the holding period
    held_minor: int  # inside the holding period
    in_payout_minor: int  # locked in an open batch
    paid_minor: int  # paid out so far


@dataclass(frozen=True)
class MonthTotal:
    month: str  # "2026-11"
    amount_minor: int


@dataclass(frozen=True)
class Earnings:
    balances: list[BrandBalance]
    months: list[MonthTotal]  # royalties and commissions less refunds, per month, in the first balance's currency
    currency: str
    lines: list[EarningsLine]
    payouts: Sequence[tuple[PayoutLine, PayoutBatch, Brand]]


_MONEY_KINDS = (AccountKind.earnings, AccountKind.payout_pending)
# A payout lock and a failed payout's return move money between a member's own two accounts: statements skip them.
_INTERNAL = (TransactionKind.payout_lock, TransactionKind.payout_return)


def _month_start(month: str) -> datetime:
    year, number = (int(part) for part in month.split("-"))
    return datetime(year, number, 1, tzinfo=UTC)


def _next_month(moment: datetime) -> datetime:
    return datetime(moment.year + moment.month // 12, moment.month % 12 + 1, 1, tzinfo=UTC)


def recent_months(now: datetime, count: int = 12) -> list[str]:
    months = []
    year, month = now.year, now.month
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(months))


def member_earnings(session: Session, *, user: User, now: datetime | None = None) -> Earnings:
    """Someone's money with every brand: balances (available, held, in a payout, paid), earnings per month for the
    last twelve months, the latest lines and their payouts."""
    now = now or utcnow()
    accounts = session.exec(
        select(LedgerAccount, Brand)
        .join(Brand, col(Brand.id) == LedgerAccount.brand_id)
        .where(LedgerAccount.user_id == user.id, col(LedgerAccount.kind).in_(_MONEY_KINDS))
        .order_by(col(Brand.name), col(LedgerAccount.currency))
    ).all()
    grouped: dict[tuple[int, str], dict[AccountKind, LedgerAccount]] = defaultdict(dict)
    brands: dict[int, Brand] = {}
    for account, brand in accounts:
        grouped[(id_of(brand), account.currency)][account.kind] = account
        brands[id_of(brand)] = brand
    paid_totals = {
        (brand_id, currency): int(total)
        for brand_id, currency, total in session.exec(
            select(PayoutBatch.brand_id, PayoutBatch.currency, func.sum(PayoutLine.amount_minor))
            .join(PayoutBatch, col(PayoutBatch.id) == PayoutLine.batch_id)
            .where(PayoutLine.user_id == user.id, PayoutLine.status == LineStatus.paid)
            .group_by(col(PayoutBatch.brand_id), col(PayoutBatch.currency))
        ).all()
    }
    balances = []
    for (brand_id, currency), kinds in grouped.items():
        settings = get_reward_settings(session, brand=brands[brand_id])
        earnings = kinds.get(AccountKind.earnings)
        held = (
            _held_minor(session, account=earnings, cutoff=now - timedelta(days=settings.hold_days)) if earnings else 0
        )
        balances.append(
            BrandBalance(
                brand=brands[brand_id],
                currency=currency,
                available_minor=(earnings.balance_minor if earnings else 0) - held,
                held_minor=held,
                in_payout_minor=kinds[AccountKind.payout_pending].balance_minor
                if AccountKind.payout_pending in kinds
                else 0,
                paid_minor=paid_totals.get((brand_id, currency), 0),
            )
        )
    currency = balances[0].currency if balances else "EUR"
    earnings_ids = [
        id_of(kinds[AccountKind.earnings])
        for (_, account_currency), kinds in grouped.items()
        if AccountKind.earnings in kinds and account_currency == currency
    ]
    months = recent_months(now)
    since = _month_start(months[0])
    per_month: dict[str, int] = defaultdict(int)
    for posted_at, amount in session.exec(
        select(LedgerEntry.posted_at, LedgerEntry.amount_minor)
        .join(LedgerTransaction, col(LedgerTransaction.id) == LedgerEntry.transaction_id)
        .where(
            col(LedgerEntry.account_id).in_(earnings_ids),
            LedgerEntry.posted_at >= since,
            col(LedgerTransaction.kind).in_((TransactionKind.sale, TransactionKind.refund)),
        )
    ).all():
        per_month[f"{posted_at.year:04d}-{posted_at.month:02d}"] += amount
    lines = [
        EarningsLine(
            posted_at=entry.posted_at,
            brand_name=brand.name,
            description=transaction.description,
            kind=transaction.kind,
            amount_minor=entry.amount_minor,
            currency=account.currency,
        )
        for entry, transaction, account, brand in session.exec(
            select(LedgerEntry, LedgerTransaction, LedgerAccount, Brand)
            .join(LedgerTransaction, col(LedgerTransaction.id) == LedgerEntry.transaction_id)
            .join(LedgerAccount, col(LedgerAccount.id) == LedgerEntry.account_id)
            .join(Brand, col(Brand.id) == LedgerAccount.brand_id)
            .where(
                LedgerAccount.user_id == user.id,
                col(LedgerAccount.kind).in_(_MONEY_KINDS),
                col(LedgerTransaction.kind).not_in(_INTERNAL),
            )
            .order_by(col(LedgerEntry.posted_at).desc(), col(LedgerEntry.id).desc())
            .limit(100)
        ).all()
    ]
    payouts = session.exec(
        select(PayoutLine, PayoutBatch, Brand)
        .join(PayoutBatch, col(PayoutBatch.id) == PayoutLine.batch_id)
        .join(Brand, col(Brand.id) == PayoutBatch.brand_id)
        .where(PayoutLine.user_id == user.id)
        .order_by(col(PayoutLine.id).desc())
    ).all()
    return Earnings(
        balances=balances,
        months=[MonthTotal(month=month, amount_minor=per_month.get(month, 0)) for month in months],
        currency=currency,
        lines=lines,
        payouts=payouts,
    )


@dataclass(frozen=True)
class Statement:
    user: User
    brand: Brand
    month: str
    currency: str
    opening_minor: int
    closing_minor: int
    lines: list[EarningsLine]


def parse_month(text: str, now: datetime) -> str:
    """ "2026-11" as given, or the current month when empty; anything else is Invalid."""
    text = text.strip() or f"{now.year:04d}-{now.month:02d}"
    try:
        start = _month_start(text)
    except ValueError:
        raise Invalid("Give the month as YYYY-MM, e.g. 2026-11.", fields={"month": "Use YYYY-MM."}) from None
    if not 2000 <= start.year <= 2100:
        raise Invalid("Give a month between 2000 and 2100.", fields={"month": "Use YYYY-MM."})
    return f"{start.year:04d}-{start.month:02d}"


def member_statement(session: Session, *, user: User, brand: Brand, month: str) -> Statement:
    """What a brand owed someone at the start of a month, every royalty, commission, refund and payment in it, and
    what it owed at the end (their earnings and any money in a payout batch, together)."""
    start = _month_start(month)
    end = _next_month(start)
    currency = get_reward_settings(session, brand=brand).currency
    account_ids = [
        id_of(account)
        for account in session.exec(
            select(LedgerAccount).where(
                LedgerAccount.brand_id == brand.id,
                LedgerAccount.user_id == user.id,
                col(LedgerAccount.kind).in_(_MONEY_KINDS),
                LedgerAccount.currency == currency,
            )
        ).all()
    ]
    opening = int(
        session.exec(
            select(func.coalesce(func.sum(LedgerEntry.amount_minor), 0)).where(
                col(LedgerEntry.account_id).in_(account_ids), LedgerEntry.posted_at < start
            )
        ).one()
    )
    lines = [
        EarningsLine(
            posted_at=entry.posted_at,
            brand_name=brand.name,
            description=transaction.description,
            kind=transaction.kind,
            amount_minor=entry.amount_minor,
            currency=currency,
        )
        for entry, transaction in session.exec(
            select(LedgerEntry, LedgerTransaction)
            .join(LedgerTransaction, col(LedgerTransaction.id) == LedgerEntry.transaction_id)
            .where(
                col(LedgerEntry.account_id).in_(account_ids),
                LedgerEntry.posted_at >= start,
                LedgerEntry.posted_at < end,
                col(LedgerTransaction.kind).not_in(_INTERNAL),
            )
            .order_by(col(LedgerEntry.posted_at), col(LedgerEntry.id))
        ).all()
    ]
    return Statement(
        user=user,
        brand=brand,
        month=month,
        currency=currency,
        opening_minor=opening,
        closing_minor=opening + sum(line.amount_minor for line in lines),
        lines=lines,
    )


def statement_csv(statement: Statement) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["date", "description", "kind", "amount", "currency"])
    writer.writerow(
        [
            f"{statement.month}-01",
            "Opening balance",
            "",
            money.plain_amount(statement.opening_minor, statement.currency),
            statement.currency,
        ]
    )
    for line in statement.lines:
        writer.writerow(
            [
                line.posted_at.date().isoformat(),
                _csv_safe(line.description),
                line.kind.value,
                money.plain_amount(line.amount_minor, line.currency),
                line.currency,
            ]
        )
    writer.writerow(
        ["", "Closing balance", "", money.plain_amount(statement.closing_minor, statement.currency), statement.currency]
    )
    return buffer.getvalue().encode()


@dataclass(frozen=True)
class LiabilityRow:
    user: User
    currency: str
    available_minor: int
    held_minor: int
    in_payout_minor: int

    @property
    def owed_minor(self) -> int:
        return self.available_minor + self.held_minor + self.in_payout_minor


@dataclass(frozen=True)
class LiabilityReport:
    brand: Brand
    currency: str  # the brand's currency now (its threshold's); rows may be in others it used before
    rows: list[LiabilityRow]  # the brand's currency first, then the others by code; in each, the largest owed first
    threshold_minor: int
    hold_days: int

    @property
    def totals(self) -> dict[str, int]:
        """What is owed per currency, for every currency with a row (the brand's currency always)."""
        totals = {self.currency: 0}
        for row in self.rows:
            totals[row.currency] = totals.get(row.currency, 0) + row.owed_minor
        return totals

    @property
    def total_minor(self) -> int:
        """What is owed in the brand's currency (see totals for the others)."""
        return self.totals[self.currency]


def liability_report(session: Session, *, brand: Brand, now: datetime | None = None) -> LiabilityReport:
    """What the brand owes whom, in every currency it has balances in: available, still held, and locked in an open
    payout batch (money earned before a change of currency is still owed in the old one)."""
    now = now or utcnow()
    settings = get_reward_settings(session, brand=brand)
    cutoff = now - timedelta(days=settings.hold_days)
    per_owner: dict[tuple[int, str], dict[AccountKind, LedgerAccount]] = defaultdict(dict)
    for account in session.exec(
        select(LedgerAccount).where(
            LedgerAccount.brand_id == brand.id,
            col(LedgerAccount.kind).in_(_MONEY_KINDS),
            col(LedgerAccount.user_id).is_not(None),
        )
    ).all():
        assert account.user_id is not None
        per_owner[(account.user_id, account.currency)][account.kind] = account
    user_ids = list({user_id for user_id, _ in per_owner})
    users = {id_of(u): u for u in session.exec(select(User).where(col(User.id).in_(user_ids)))}
    rows = []
    for (user_id, currency), kinds in per_owner.items():
        earnings = kinds.get(AccountKind.earnings)
        held = _held_minor(session, account=earnings, cutoff=cutoff) if earnings else 0
        pending = kinds.get(AccountKind.payout_pending)
        row = LiabilityRow(
            user=users[user_id],
            currency=currency,
            available_minor=(earnings.balance_minor if earnings else 0) - held,
            held_minor=held,
            in_payout_minor=pending.balance_minor if pending else 0,
        )
        if row.owed_minor or row.available_minor:
            rows.append(row)
    rows.sort(key=lambda row: (row.currency != settings.currency, row.currency, -row.owed_minor, row.user.handle))
    return LiabilityReport(
        brand=brand,
        currency=settings.currency,
        rows=rows,
        threshold_minor=settings.payout_threshold_minor,
        hold_days=settings.hold_days,
    )


@dataclass(frozen=True)
class OwedTotals:
    currency: str
    owed_minor: int  # what the liability report totals in this currency: available, held and in payout
    held_minor: int  # of which still inside the refund hold


def owed_totals(session: Session, *, brand: Brand, now: datetime | None = None) -> OwedTotals:
    """The liability report's totals in the brand's currency, in two aggregate queries (the brand home)."""
    now = now or utcnow()
    settings = get_reward_settings(session, brand=brand)
    members = (
        col(LedgerAccount.brand_id) == brand.id,
        col(LedgerAccount.currency) == settings.currency,
        col(LedgerAccount.user_id).is_not(None),
    )
    owed = session.exec(
        select(func.coalesce(func.sum(LedgerAccount.balance_minor), 0)).where(
            *members, col(LedgerAccount.kind).in_(_MONEY_KINDS)
        )
    ).one()
    earnings = select(col(LedgerAccount.id)).where(*members, col(LedgerAccount.kind) == AccountKind.earnings)
    held = session.exec(
        _held_sum(now - timedelta(days=settings.hold_days)).where(col(LedgerEntry.account_id).in_(earnings))
    ).one()
    return OwedTotals(currency=settings.currency, owed_minor=int(owed), held_minor=int(held))


def liability_csv(report: LiabilityReport) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["handle", "email", "available", "held", "in_payout", "owed", "currency"])
    for row in report.rows:
        writer.writerow(
            [
                row.user.handle,
                row.user.email,
                *(
                    money.plain_amount(value, row.currency)
                    for value in (row.available_minor, row.held_minor, row.in_payout_minor, row.owed_minor)
                ),
                row.currency,
            ]
        )
    return buffer.getvalue().encode()


def brand_month_totals(session: Session, *, brand: Brand, now: datetime | None = None) -> list[MonthTotal]:
    """Royalties and commissions the brand owed per month (less refunds), for the last twelve months."""
    now = now or utcnow()
    months = recent_months(now)
    since = _month_start(months[0])
    expense = ledger_service.find_account(
        session,
        brand_id=id_of(brand),
        user_id=None,
        kind=AccountKind.brand_expense,
        currency=get_reward_settings(session, brand=brand).currency,
    )
    per_month: dict[str, int] = defaultdict(int)
    if expense is not None:
        for posted_at, amount in session.exec(
            select(LedgerEntry.posted_at, LedgerEntry.amount_minor).where(
                LedgerEntry.account_id == expense.id, LedgerEntry.posted_at >= since
            )
        ).all():
            per_month[f"{posted_at.year:04d}-{posted_at.month:02d}"] -= amount
    return [MonthTotal(month=month, amount_minor=per_month.get(month, 0)) for month in months]
