"""A brand's money rules (currency, commission, payout threshold, holding period) and its products' terms and
royalty splits."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.brands.models import Brand
from app.challenges.models import Product, ProductStatus
from app.columns import id_of, utcnow
from app.errors import Conflict, Invalid, NotFound
from app.i18n import _
from app.i18n.formatting import format_number, format_percent
from app.rewards import money
from app.rewards.models import (
    ProductTerms,
    RewardSettings,
    RoyaltyKind,
    RoyaltySplit,
    Sale,
)


def get_reward_settings(session: Session, *, brand: Brand) -> RewardSettings:
    """The brand's rules for money (the defaults until a manager changes them; nothing is stored for reading)."""
    found = session.exec(select(RewardSettings).where(RewardSettings.brand_id == brand.id)).first()
    return found or RewardSettings(brand_id=id_of(brand))


def commission_bp(session: Session, *, brand_id: int) -> int:
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
        errors["hold_days"] = _("Use a whole number of days from 0 to 365.")
    if errors:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
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
        raise Conflict(_("Someone else just saved these settings; reload and try again.")) from error
    return settings


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
        raise NotFound(_("There is no such product."))
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
    # Where the brand's store sells it (http or https); empty: not sold online.
    store_url: str = ""


STORE_URL_MAX = 500


def parse_store_url(text: str) -> str:
    """A store link as typed: empty, or a whole http(s) address (no other scheme reaches a Buy button)."""
    url = text.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname or any(c.isspace() for c in url):
        raise Invalid(_("Give the whole address of the product in your store, starting with https://."))
    if len(url) > STORE_URL_MAX:
        raise Invalid(_("Keep the store address to %(most)s characters.", most=format_number(STORE_URL_MAX)))
    return url


def _parse_splits(session: Session, text: str, product: Product) -> tuple[list[tuple[int, int]], str | None]:
    lines = [line.split() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        if product.designer_id is None:
            return [], _("This product has no designer: name who earns its royalty.")
        return [(product.designer_id, 10000)], None
    shares: list[tuple[int, int]] = []
    for parts in lines:
        if len(parts) != 2:
            return [], _("Write one co-designer per line: their handle, then their percentage.")
        handle, percent = parts[0].lstrip("@").lower(), parts[1]
        user = session.exec(select(User).where(User.handle == handle)).first()
        if user is None:
            return [], _("There is nobody with the handle @%(handle)s.", handle=handle)
        try:
            share = money.parse_percent(percent)
        except money.MoneyError as error:
            return [], _("@%(handle)s: %(problem)s", handle=handle, problem=error)
        if share == 0:
            return [], _("@%(handle)s: a share of 0 %% earns nothing; leave them out.", handle=handle)
        shares.append((id_of(user), share))
    if len({user_id for user_id, _ in shares}) != len(shares):
        return [], _("Name each co-designer once.")
    total = sum(share for _, share in shares)
    if total != 10000:
        return [], _(
            "The shares add up to %(total)s, not %(whole)s.",
            total=format_percent(total / 10000, digits=2),
            whole=format_percent(1),
        )
    return shares, None


def set_product_terms(session: Session, *, product: Product, fields: TermsFields) -> ProductTerms:
    """Set a product's price, royalty rule and co-designer splits, whether it is live (on sale) and where the brand's
    store sells it."""
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
        errors["royalty_kind"] = _("Choose a percentage of the sale or a fixed amount per unit.")
        kind = RoyaltyKind.percent
    try:
        percent_bp = money.parse_percent(fields.royalty_percent or "0")
    except money.MoneyError as error:
        errors["royalty_percent"] = str(error)
        percent_bp = 0
    shares, split_error = _parse_splits(session, fields.splits, product)
    if split_error:
        errors["splits"] = split_error
    store_url = ""
    try:
        store_url = parse_store_url(fields.store_url)
    except Invalid as error:
        errors["store_url"] = error.message
    if errors:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
    terms = session.exec(select(ProductTerms).where(ProductTerms.product_id == product.id)).first()
    if terms is not None and terms.currency != currency and _has_sales(session, product=product):
        # Its sales, royalties and refunds are in the old currency: a new one would mix two in one product.
        message = _(
            "%(product)s has sales in %(currency)s; its currency cannot change now.",
            product=product.name,
            currency=terms.currency,
        )
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
    product.store_url = store_url
    session.add(product)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:
        raise Conflict(_("Someone else just changed this product's terms; reload and try again.")) from error
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
