"""A designer's shop: the products made from their designs that are on sale, with price and where to buy them, and
(for the designer alone) what each has earned them in royalties, read from the ledger."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.brands.models import Brand
from app.challenges.models import Product, ProductStatus
from app.columns import id_of
from app.communities.models import Community
from app.ledger.models import AccountKind, LedgerAccount, LedgerEntry
from app.preorders.models import Preorder
from app.preorders.service import product_url
from app.rewards.models import ProductTerms, ReferralCode, RoyaltySplit, Sale


@dataclass(frozen=True)
class ShopProduct:
    product: Product
    brand: Brand
    price_minor: int
    currency: str
    # How it is bought: "live" (on sale at the brand's store) or "preorder" (pledges taken on its product page
    # until the deadline; ``preorder_url``).
    availability: str = "live"
    preorder_url: str = ""

    @property
    def store_url(self) -> str:
        return self.product.store_url


def list_shop_products(session: Session, *, designer: User) -> list[ShopProduct]:
    """The designer's products on sale (theirs, or shared with them as a co-designer), with their price, newest
    first, then those on pre-order until their deadline, with the pre-order's price. Other drafts and products
    without terms (no price yet) are not in the shop."""
    shared = select(RoyaltySplit.product_id).where(RoyaltySplit.user_id == designer.id)
    theirs = or_(col(Product.designer_id) == designer.id, col(Product.id).in_(shared))
    rows = session.exec(
        select(Product, ProductTerms, Brand)
        .join(ProductTerms, col(ProductTerms.product_id) == Product.id)
        .join(Brand, col(Brand.id) == Product.brand_id)
        .where(Product.status == ProductStatus.live, theirs)
        .order_by(col(Product.created_at).desc(), col(Product.id).desc())
    ).all()
    on_preorder = session.exec(
        select(Product, Preorder, Brand, Community)
        .join(Preorder, col(Preorder.product_id) == Product.id)
        .join(Brand, col(Brand.id) == Product.brand_id)
        .join(Community, col(Community.id) == Preorder.community_id)
        .where(Product.status != ProductStatus.live, col(Preorder.closed_at).is_(None), theirs)
        .order_by(col(Preorder.deadline_at), col(Product.id))
    ).all()
    return [
        ShopProduct(product=product, brand=brand, price_minor=terms.price_minor, currency=terms.currency)
        for product, terms, brand in rows
    ] + [
        ShopProduct(
            product=product,
            brand=brand,
            price_minor=preorder.price_minor,
            currency=preorder.currency,
            availability="preorder",
            preorder_url=product_url(community, product),
        )
        for product, preorder, brand, community in on_preorder
    ]


@dataclass(frozen=True)
class ProductRoyalty:
    product: Product
    currency: str
    units: int  # units sold and not refunded that earned the designer a royalty
    royalty_minor: int  # royalties earned less refunds


def royalties_by_product(session: Session, *, designer: User) -> list[ProductRoyalty]:
    """What each product earned the designer in royalties, from the ledger: the sale and refund postings on their
    earnings accounts, less the commission on any sale they referred themselves (the same posting carries both)."""
    postings: Sequence[tuple[int, int, Sale, int | None]] = session.exec(
        select(LedgerEntry.transaction_id, LedgerEntry.amount_minor, Sale, ReferralCode.user_id)
        .join(LedgerAccount, col(LedgerAccount.id) == LedgerEntry.account_id)
        .join(
            Sale,
            or_(
                col(Sale.transaction_id) == LedgerEntry.transaction_id,
                col(Sale.refund_transaction_id) == LedgerEntry.transaction_id,
            ),
        )
        .outerjoin(ReferralCode, col(ReferralCode.id) == Sale.referral_code_id)
        .where(LedgerAccount.user_id == designer.id, LedgerAccount.kind == AccountKind.earnings)
    ).all()
    royalty: dict[tuple[int, str], int] = defaultdict(int)
    units: dict[tuple[int, str], int] = defaultdict(int)
    for transaction_id, amount, sale, referrer_id in postings:
        refund = transaction_id == sale.refund_transaction_id
        commission = sale.commission_minor if referrer_id == designer.id else 0
        earned = amount + commission if refund else amount - commission
        if not earned:  # only a commission: a sale they referred of someone else's product
            continue
        key = (sale.product_id, sale.currency)
        royalty[key] += earned
        units[key] += -sale.quantity if refund else sale.quantity
    products = {
        id_of(product): product
        for product in session.exec(select(Product).where(col(Product.id).in_({key[0] for key in royalty})))
    }
    return [
        ProductRoyalty(product=products[product_id], currency=currency, units=units[key], royalty_minor=amount)
        for key, amount in sorted(royalty.items(), key=lambda item: (-item[1], item[0]))
        for product_id, currency in [key]
    ]
