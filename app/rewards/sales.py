"""Sale lines and refunds: each line posts what it earned (royalties to the designers, commission to the
referrer) to the ledger once."""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update

from app.brands.models import Brand
from app.challenges.models import Product, ProductStatus
from app.columns import id_of, utcnow
from app.config import get_settings
from app.errors import Conflict, Invalid, NotFound
from app.i18n import _, ngettext
from app.i18n.formatting import format_number
from app.ledger import service as ledger_service
from app.ledger.models import AccountKind, LedgerTransaction, TransactionKind
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind
from app.rewards import events as rewards_events
from app.rewards import money
from app.rewards.models import (
    PointsAction,
    ProductTerms,
    ReferralCode,
    RoyaltySplit,
    Sale,
    SaleSource,
)
from app.rewards.points import award_points
from app.rewards.shared import notify_user_id, run_claim
from app.rewards.terms import commission_bp, royalty_for

MAX_IMPORT_ROWS = 5000


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
        return _("order_id: give the order's id (up to 80 characters).")
    if not row.product_id.strip().isdigit():
        return _("product_id: give the product's number.")
    found = products.get(int(row.product_id))
    if found is None:
        return _("product_id: %(brand)s has no product %(product)s.", brand=brand.name, product=row.product_id.strip())
    product, terms = found
    if product.status != ProductStatus.live or terms is None:
        return _("product_id: %(product)s is not live; set its terms and put it on sale first.", product=product.name)
    if not row.quantity.strip().isdigit() or not 1 <= int(row.quantity) <= 100000:
        return _("quantity: use a whole number from 1 to %(most)s.", most=format_number(100000))
    try:
        currency = money.parse_currency(row.currency)
    except money.MoneyError as error:
        return _("currency: %(problem)s", problem=error)
    if currency != terms.currency:
        return _(
            "currency: %(product)s is sold in %(currency)s, not %(sent)s.",
            product=product.name,
            currency=terms.currency,
            sent=currency,
        )
    try:
        unit_price = money.parse_amount(row.unit_price, currency)
    except money.MoneyError as error:
        return _("unit_price: %(problem)s", problem=error)
    referral = None
    if row.referral_code.strip():
        referral = session.exec(
            select(ReferralCode).where(ReferralCode.code == row.referral_code.strip().upper())
        ).first()
        if referral is None or referral.brand_id != brand.id:
            return _(
                "referral_code: %(code)s is not one of the referral codes of %(brand)s.",
                code=row.referral_code.strip(),
                brand=brand.name,
            )
    sold_at = row.sold_at or now
    if isinstance(sold_at, str):
        text = sold_at.strip()
        try:
            sold_at = datetime.fromisoformat(text)
        except ValueError:
            return _("sold_at: %(text)s is not a date and time; use e.g. 2026-11-23T14:05:00+01:00.", text=text)
    if sold_at.tzinfo is None:
        return _("sold_at: give the time with its time zone.")
    settings = get_settings()
    if sold_at > now + timedelta(minutes=settings.sale_clock_skew_minutes):
        return _(
            "sold_at: %(moment)s is in the future; send sales once they are made.",
            moment=sold_at.isoformat(timespec="minutes"),
        )
    if sold_at < now - timedelta(days=settings.sale_max_age_days):
        return ngettext(
            "sold_at: %(day)s is more than %(num)s day ago; sales that old are not accepted.",
            "sold_at: %(day)s is more than %(num)s days ago; sales that old are not accepted.",
            settings.sale_max_age_days,
            day=sold_at.date().isoformat(),
            num=format_number(settings.sale_max_age_days),
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
        raise Invalid(_("There are no sales to record."))
    if len(rows) > MAX_IMPORT_ROWS:
        raise Invalid(_("Send at most %(most)s sale lines at a time.", most=format_number(MAX_IMPORT_ROWS)))
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
        label = f"row {row.row or number}"  # i18n: ignore (a field key, as stable as a column name)
        outcome = _check_sale(session, brand=brand, row=row, products=products, now=now)
        if isinstance(outcome, str):
            errors[label] = outcome
            continue
        pair = (outcome.order_id, id_of(outcome.product))
        if pair in seen:
            errors[label] = _(
                "order %(order)s lists %(product)s twice; add the quantities.",
                order=outcome.order_id,
                product=outcome.product.name,
            )
            continue
        seen.add(pair)
        labels[pair] = label
        checked.append(outcome)
    existing = existing_sales(session, brand_id=id_of(brand), pairs=seen)
    for line in checked:
        pair = (line.order_id, id_of(line.product))
        before = existing.get(pair)
        if before is not None and (before.quantity, before.unit_price_minor) != (line.quantity, line.unit_price_minor):
            errors[labels[pair]] = _(
                "order %(order)s of %(product)s was recorded before with another quantity or price.",
                order=line.order_id,
                product=line.product.name,
            )
    if errors:
        count = len(errors)
        raise SalesRejected(
            ngettext(
                "%(num)s row could not be read; nothing was recorded.",
                "%(num)s rows could not be read; nothing was recorded.",
                count,
                num=format_number(count),
            ),
            fields=errors,
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


def _royalty_text(part: int, line: CheckedSale) -> str:
    return _(
        "You earned %(amount)s royalty: %(quantity)s x %(product)s sold",
        amount=money.format_amount(part, line.currency),
        quantity=format_number(line.quantity),
        product=line.product.name,
    )


def _royalty_rollup(part: int, currency: str) -> notifications_service.Rollup:
    return notifications_service.Rollup(
        subject="earnings",
        # {amount}, {count} and {day} are filled in when many read as one line (app.notifications).
        text=_("You earned {amount} royalties from {count} sales {day}"),
        amount_minor=part,
        currency=currency,
    )


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
        commission = money.percent_of(net, commission_bp(session, brand_id=brand_id))
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
    rewards_events.emit_sale_recorded(session, sale=sale)
    for user_id, part in parts.items():
        if part:
            notify_user_id(
                session,
                user_id=user_id,
                kind=NotificationKind.royalty_earned,
                text=partial(_royalty_text, part, line),
                link="/me/earnings",
                rollup=partial(_royalty_rollup, part, line.currency),
            )
    if line.referral is not None:
        if commission:
            notify_user_id(
                session,
                user_id=line.referral.user_id,
                kind=NotificationKind.commission_earned,
                text=lambda: _(
                    "Your referral brought a sale: %(amount)s commission",
                    amount=money.format_amount(commission, line.currency),
                ),
                link="/me/referrals",
                rollup=lambda: notifications_service.Rollup(
                    subject="referrals",
                    text=_("Your referrals brought {count} sales {day}: {amount} commission"),
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
        raise NotFound(_("There is no such sale."))
    return sale


def refund_sale(session: Session, *, sale: Sale, now: datetime | None = None) -> Sale:
    """Refund a sale line: what it earned is reversed (once; a second refund is refused)."""
    now = now or utcnow()
    # Claim the refund with a conditional UPDATE, so two refunds at once reverse once.
    claimed = run_claim(
        session,
        update(Sale)
        .where(col(Sale.id) == sale.id, col(Sale.refunded_at).is_(None))
        .values(refunded_at=now)
        .execution_options(synchronize_session=False),
    )
    if not claimed.rowcount:
        raise Conflict(_("Order %(order)s is refunded already.", order=sale.order_id))
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
    rewards_events.emit_sale_refunded(session, sale=sale)
    return sale
