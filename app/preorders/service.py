"""Opening a product for pre-order, and reading a pre-order: the product page, its progress, the managers' figures.

Pledging is in ``app.preorders.pledges``; funding, the deadline and the fulfilment CSV in ``app.preorders.outcomes``.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from app.accounts.models import User
from app.brands.models import Brand
from app.challenges.designs import rendition_urls
from app.challenges.models import Challenge, Design, Product, ProductStatus, Score
from app.columns import id_of, utcnow
from app.communities.models import Community
from app.errors import Conflict, Invalid, NotFound
from app.follows import service as follows_service
from app.i18n import N_, _, ngettext, use_locale
from app.i18n.formatting import format_date, format_number
from app.media.models import MediaImage
from app.moderation import audit as moderation_audit
from app.moderation.models import AuditAction
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind
from app.preorders.models import Pledge, PledgeStatus, Preorder, PreorderStatus
from app.rewards import money
from app.rewards import terms as rewards_terms
from app.webhooks import service as webhooks_service

MAX_TARGET = 1_000_000
MAX_VARIANTS = 20
VARIANT_MAX_LENGTH = 40
MIN_DURATION = timedelta(hours=1)
MAX_DURATION = timedelta(days=180)
DEFAULT_VARIANT = N_("One size")  # stored with the pre-order in the language of the manager who opened it


def product_url(community: Community, product: Product) -> str:
    """The public product page, with its pre-order panel."""
    return f"/c/{community.slug}/products/{product.id}"


# ------------------------------------------------------------------------------------------------------------
# Opening
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreorderFields:
    """What a manager sets when opening a pre-order; ``price`` as typed ("24.00"), in the brand's currency."""

    target_count: int
    deadline_at: datetime
    price: str
    variants: list[str] = field(default_factory=list)
    stock_limit: int | None = None


def parse_variants(text: str) -> list[str]:
    """Variants typed on a form: separated by commas or new lines ("S, M, L")."""
    return [part.strip() for part in re.split(r"[,\n]", text) if part.strip()]


def _clean_variants(variants: list[str], errors: dict[str, str]) -> list[str]:
    cleaned = list(dict.fromkeys(variant.strip() for variant in variants if variant.strip()))
    if len(cleaned) > MAX_VARIANTS:
        errors["variants"] = _("Offer at most %(most)s variants.", most=MAX_VARIANTS)
    elif any(len(variant) > VARIANT_MAX_LENGTH for variant in cleaned):
        errors["variants"] = _("Keep each variant under %(most)s characters.", most=VARIANT_MAX_LENGTH)
    return cleaned or [_(DEFAULT_VARIANT)]


def _check_fields(fields: PreorderFields, *, currency: str, now: datetime) -> tuple[int, list[str]]:
    """The price in minor units and the variants, or Invalid with every wrong field."""
    errors: dict[str, str] = {}
    price_minor = 0
    try:
        price_minor = money.parse_amount(fields.price, currency)
        if price_minor <= 0:
            errors["price"] = _("Give the price each item will be charged.")
    except money.MoneyError as error:
        errors["price"] = str(error)
    if not 1 <= fields.target_count <= MAX_TARGET:
        errors["target_count"] = _("Use a whole number from 1 to %(most)s.", most=format_number(MAX_TARGET))
    if fields.stock_limit is not None and not fields.target_count <= fields.stock_limit <= MAX_TARGET:
        errors["stock_limit"] = _("The stock limit is at least the target (or leave it empty for no limit).")
    if fields.deadline_at < now + MIN_DURATION:
        errors["deadline_at"] = _("Give members at least an hour: the deadline must be later.")
    elif fields.deadline_at > now + MAX_DURATION:
        errors["deadline_at"] = _("Keep the deadline within 180 days.")
    variants = _clean_variants(fields.variants, errors)
    if errors:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
    return price_minor, variants


def get_brand_product(session: Session, *, brand: Brand, product_id: int) -> Product:
    """One of the brand's products (another brand's answers as missing)."""
    product = session.get(Product, product_id)
    if product is None or product.brand_id != brand.id:
        raise NotFound(_("There is no such product."))
    return product


def get_preorder(session: Session, *, product: Product) -> Preorder | None:
    return session.exec(select(Preorder).where(Preorder.product_id == product.id)).first()


def _design_community(session: Session, *, product: Product) -> tuple[Design, Community]:
    design = session.get(Design, product.design_id) if product.design_id is not None else None
    if design is None:
        raise Conflict(_("Only a product made from a winning design can go on pre-order: its community pledges."))
    challenge = session.get(Challenge, design.challenge_id)
    community = session.get(Community, challenge.community_id) if challenge is not None else None
    if community is None:  # a design always has its challenge and community (foreign keys)
        raise NotFound(_("There is no such product."))
    return design, community


def open_preorder(
    session: Session,
    *,
    brand: Brand,
    product: Product,
    actor: User,
    fields: PreorderFields,
    now: datetime | None = None,
) -> Preorder:
    """Open the product for pre-order; everyone who said "I'd buy it" for its design is told, then the designer's
    followers, and the brand's webhooks hear ``preorder_opened``. A product has one pre-order (Conflict for a
    second)."""
    now = now or utcnow()
    design, community = _design_community(session, product=product)
    currency = rewards_terms.get_reward_settings(session, brand=brand).currency
    price_minor, variants = _check_fields(fields, currency=currency, now=now)
    if get_preorder(session, product=product) is not None:
        raise Conflict(_("%(product)s has been on pre-order already.", product=product.name))
    preorder = Preorder(
        product_id=id_of(product),
        brand_id=id_of(brand),
        community_id=id_of(community),
        target_count=fields.target_count,
        stock_limit=fields.stock_limit,
        variants=variants,
        price_minor=price_minor,
        currency=currency,
        deadline_at=fields.deadline_at,
        opened_by_id=actor.id,
        opened_at=now,
    )
    session.add(preorder)
    session.flush()  # the unique product_id refuses a second pre-order opened at the same moment
    moderation_audit.record(
        session,
        community_id=preorder.community_id,
        actor=actor,
        action=AuditAction.preorder_opened,
        subject_kind="preorder",
        subject_id=preorder.id,
        after=_terms(preorder),
        now=now,
    )
    told = announce_to_would_buyers(session, preorder=preorder, product=product, design=design, community=community)
    designer = session.get(User, design.designer_id)

    def news() -> tuple[str, str]:
        names = {
            "design": design.title,
            "product": product.name,
            "day": format_date(preorder.deadline_at, style="long"),
        }
        if designer is None:
            text = _("“%(design)s” by a designer you follow is on pre-order as %(product)s until %(day)s.", **names)
        else:
            text = _(
                "%(designer)s's “%(design)s” is on pre-order as %(product)s until %(day)s.",
                designer=designer.display_name,
                **names,
            )
        return text, _("%(product)s is on pre-order", product=product.name)

    follows_service.tell_followers(
        session,
        designer_id=design.designer_id,
        community=community,
        news=news,
        link=product_url(community, product),
        already_told=told,
    )
    webhooks_service.emit_event(
        session, brand_id=id_of(brand), event="preorder_opened", payload=webhook_payload(preorder, product, community)
    )
    return preorder


def _terms(preorder: Preorder) -> dict[str, object]:
    return {
        "target_count": preorder.target_count,
        "stock_limit": preorder.stock_limit,
        "variants": preorder.variants,
        "price_minor": preorder.price_minor,
        "currency": preorder.currency,
        "deadline_at": preorder.deadline_at.isoformat(),
    }


def announce_to_would_buyers(
    session: Session, *, preorder: Preorder, product: Product, design: Design, community: Community
) -> list[int]:
    """Tell everyone who said "I'd buy it" for the design that it can be pre-ordered (in the app, and by e-mail as
    each chose); returns whom. The designer is not told of their own design's score flag."""
    voters = session.exec(
        select(User)
        .join(Score, col(Score.voter_id) == User.id)
        .where(Score.design_id == design.id, col(Score.would_buy).is_(True), col(User.is_active).is_(True))
        .order_by(col(User.id))
    ).all()
    told = []
    for voter in voters:
        if voter.id == design.designer_id:
            continue
        with use_locale(voter.locale, voter.time_zone):
            text = _(
                "You said you'd buy “%(design)s”: %(product)s is on pre-order until %(day)s.",
                design=design.title,
                product=product.name,
                day=format_date(preorder.deadline_at, style="long"),
            )
            subject = _("%(product)s is on pre-order", product=product.name)
        notifications_service.notify(
            session,
            user=voter,
            kind=NotificationKind.preorder_opened,
            text=text,
            link=product_url(community, product),
            community=community,
            email_subject=subject,
        )
        told.append(id_of(voter))
    return told


def webhook_payload(preorder: Preorder, product: Product, community: Community) -> dict[str, object]:
    """What the ``preorder_*`` webhooks carry: the product, the figures and the terms (never a pledger)."""
    return {
        "preorder_id": preorder.id,
        "product_id": product.id,
        "product_name": product.name,
        "community_slug": community.slug,
        "status": preorder.status.value,
        "pledged_count": preorder.pledged_count,
        "target_count": preorder.target_count,
        "stock_limit": preorder.stock_limit,
        "variants": preorder.variants,
        "price_minor": preorder.price_minor,
        "currency": preorder.currency,
        "deadline_at": preorder.deadline_at.isoformat(),
    }


# ------------------------------------------------------------------------------------------------------------
# Reading
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """How a pre-order stands: "37 of 50, 4 days left"."""

    pledged: int
    target: int
    stock_limit: int | None
    status: PreorderStatus
    deadline_at: datetime
    closed: bool  # past the deadline, or not funded: no more pledging

    @property
    def percent(self) -> int:
        return min(100, self.pledged * 100 // self.target) if self.target else 0

    @property
    def left_in_stock(self) -> int | None:
        return None if self.stock_limit is None else max(0, self.stock_limit - self.pledged)

    def time_left(self, now: datetime) -> str:
        if self.closed or now >= self.deadline_at:
            return _("closed")
        remaining = self.deadline_at - now
        if remaining >= timedelta(days=1):
            days = remaining.days
            return ngettext("%(num)s day left", "%(num)s days left", days, num=format_number(days))
        hours = int(remaining.total_seconds() // 3600)
        if hours > 1:
            return ngettext("%(num)s hour left", "%(num)s hours left", hours, num=format_number(hours))
        return _("less than 2 hours left")

    def summary(self, now: datetime) -> str:
        """ "37 of 50, 4 days left" in the language, its figures and plurals."""
        return _(
            "%(pledged)s of %(target)s, %(time_left)s",
            pledged=format_number(self.pledged),
            target=format_number(self.target),
            time_left=self.time_left(now),
        )


def progress_of(preorder: Preorder, *, now: datetime) -> Progress:
    closed = (
        preorder.status == PreorderStatus.not_funded or preorder.closed_at is not None or now >= preorder.deadline_at
    )
    return Progress(
        pledged=preorder.pledged_count,
        target=preorder.target_count,
        stock_limit=preorder.stock_limit,
        status=preorder.status,
        deadline_at=preorder.deadline_at,
        closed=closed,
    )


@dataclass(frozen=True)
class ProductPage:
    """Everything the public product page shows (one query per thing, none from the template)."""

    product: Product
    community: Community
    design: Design | None
    designer: User | None
    image_urls: dict[str, str]
    preorder: Preorder | None
    progress: Progress | None
    price: str


def taking_pledges_for(session: Session, *, design: Design, community: Community) -> str | None:
    """The product page of the design's product while its pre-order takes pledges (shown on the design's page)."""
    product = session.exec(
        select(Product)
        .join(Preorder, col(Preorder.product_id) == Product.id)
        .where(Product.design_id == design.id, col(Preorder.closed_at).is_(None))
    ).first()
    return product_url(community, product) if product is not None else None


def get_community_product(session: Session, *, community: Community, product_id: int) -> Product:
    """A product made from a design of this community, live or on pre-order (anything else answers as missing)."""
    row = session.exec(
        select(Product)
        .join(Design, col(Design.id) == Product.design_id)
        .join(Challenge, col(Challenge.id) == Design.challenge_id)
        .where(col(Product.id) == product_id, col(Challenge.community_id) == community.id)
    ).first()
    # A draft product not on pre-order is still the brand's business: its page opens with the pre-order (or sale).
    if row is None or (row.status != ProductStatus.live and get_preorder(session, product=row) is None):
        raise NotFound(_("There is no such product."))
    return row


def product_page(
    session: Session, *, community: Community, product: Product, now: datetime | None = None
) -> ProductPage:
    """The product with its design, designer and pre-order, for the public page and the API."""
    now = now or utcnow()
    design = session.get(Design, product.design_id) if product.design_id is not None else None
    designer = session.get(User, product.designer_id) if product.designer_id is not None else None
    image = session.get(MediaImage, design.image_id) if design is not None else None
    preorder = get_preorder(session, product=product)
    return ProductPage(
        product=product,
        community=community,
        design=design,
        designer=designer,
        image_urls=rendition_urls(image) if image is not None else {},
        preorder=preorder,
        progress=progress_of(preorder, now=now) if preorder is not None else None,
        price=money.format_amount(preorder.price_minor, preorder.currency) if preorder is not None else "",
    )


def community_slug(session: Session, *, preorder: Preorder) -> str:
    community = session.get(Community, preorder.community_id)
    assert community is not None  # the pre-order's foreign key
    return community.slug


def variant_counts(session: Session, *, preorder: Preorder) -> list[tuple[str, int, int]]:
    """Per variant (in the pre-order's order): active pledges and items pledged, for the managers."""
    rows = session.exec(
        select(Pledge.variant, func.count(), func.coalesce(func.sum(Pledge.quantity), 0))
        .where(Pledge.preorder_id == preorder.id, Pledge.status == PledgeStatus.active)
        .group_by(col(Pledge.variant))
    ).all()
    found = {variant: (int(count), int(items)) for variant, count, items in rows}
    order = list(preorder.variants) + sorted(set(found) - set(preorder.variants))
    return [(variant, *found.get(variant, (0, 0))) for variant in order]
