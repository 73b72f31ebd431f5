"""Members' pledges: making, changing and withdrawing one until the deadline.

The items pledged are counted on the pre-order by one conditional UPDATE in the pledging transaction (``stock_limit
IS NULL OR pledged_count + delta <= stock_limit``), so concurrent pledges never take more than the stock: the row
lock (PostgreSQL) or the write lock (SQLite's BEGIN IMMEDIATE) makes each see the count the one before left.
"""

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update

from app import rate_limits
from app.accounts.models import User
from app.campaigns.households import ADDRESS_FIELDS, Address, validate_address
from app.columns import id_of, utcnow
from app.communities.models import Community
from app.config import get_settings
from app.errors import Conflict, Invalid, NotFound
from app.i18n import _, ngettext
from app.i18n.formatting import format_number
from app.moderation import audit as moderation_audit
from app.moderation.models import AuditAction
from app.preorders import outcomes
from app.preorders.models import Pledge, PledgeStatus, Preorder, PreorderStatus
from app.rewards.money import format_amount

MAX_QUANTITY = 10


def own_pledge(session: Session, *, preorder: Preorder, user: User) -> Pledge | None:
    """The member's active pledge to the pre-order, if any."""
    return session.exec(
        select(Pledge).where(
            Pledge.preorder_id == preorder.id, Pledge.user_id == user.id, Pledge.status == PledgeStatus.active
        )
    ).first()


def address_of(pledge: Pledge) -> Address:
    return Address(**{name: getattr(pledge, name) for name in ADDRESS_FIELDS})


def _require_open(preorder: Preorder, now: datetime) -> None:
    if preorder.status == PreorderStatus.not_funded or preorder.closed_at is not None or now >= preorder.deadline_at:
        raise Conflict(_("This pre-order has closed: pledges can no longer change."))


def _count(session: Session, *, preorder: Preorder, delta: int, now: datetime) -> None:
    """Add ``delta`` items to the pre-order's count, within its stock and before its deadline (Conflict if not)."""
    if delta == 0:
        return
    stock = col(Preorder.stock_limit)
    counted = session.exec(
        update(Preorder)
        .where(
            col(Preorder.id) == preorder.id,
            col(Preorder.status) != PreorderStatus.not_funded,
            col(Preorder.closed_at).is_(None),
            col(Preorder.deadline_at) > now,
            stock.is_(None) | (col(Preorder.pledged_count) + delta <= stock),
        )
        .values(pledged_count=Preorder.pledged_count + delta)
    )
    session.refresh(preorder)
    if counted.rowcount == 1:
        return
    _require_open(preorder, now)
    left = max(0, (preorder.stock_limit or 0) - preorder.pledged_count)
    if not left:
        raise Conflict(_("Sold out: every item of the stock is pledged."))
    raise Conflict(
        ngettext("Only %(num)s left: pledge fewer.", "Only %(num)s left: pledge fewer.", left, num=format_number(left)),
        fields={
            "quantity": ngettext(
                "At most %(num)s more can be pledged.",
                "At most %(num)s more can be pledged.",
                left,
                num=format_number(left),
            )
        },
    )


def _check(preorder: Preorder, *, variant: str, quantity: int, address: Address) -> dict[str, str]:
    errors = validate_address(address)
    if variant not in preorder.variants:
        errors["variant"] = _("Choose one of the variants offered.")
    if not 1 <= quantity <= MAX_QUANTITY:
        errors["quantity"] = _("Pledge from 1 to %(most)s items.", most=MAX_QUANTITY)
    return errors


def _set_address(pledge: Pledge, address: Address) -> None:
    pledge.recipient_name = address.recipient_name.strip()
    pledge.address_line1 = address.address_line1.strip()
    pledge.address_line2 = address.address_line2.strip()
    pledge.city = address.city.strip()
    pledge.postcode = address.postcode.strip().upper()
    pledge.country = address.country.strip().upper()


def _rate_limit(user: User) -> None:
    rate_limits.hit(
        get_settings().pledge_rate_per_account,
        "pledge",
        str(id_of(user)),
        message=_("You have changed pledges many times just now; try again later."),
    )


def pledge(
    session: Session,
    *,
    preorder: Preorder,
    community: Community,
    user: User,
    variant: str,
    quantity: int,
    address: Address,
    now: datetime | None = None,
) -> Pledge:
    """Pledge to the pre-order, or change one's pledge (variant, quantity, address), until the deadline.

    Once funded, a pledge may grow or change but not shrink: the brand prints on the strength of it. Reaching the
    target funds the pre-order in the same transaction (``outcomes.fund_if_reached``).
    """
    now = now or utcnow()
    _require_open(preorder, now)
    _rate_limit(user)
    errors = _check(preorder, variant=variant, quantity=quantity, address=address)
    if errors:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
    existing = session.exec(
        select(Pledge).where(Pledge.preorder_id == preorder.id, Pledge.user_id == user.id).with_for_update()
    ).first()
    active = existing is not None and existing.status == PledgeStatus.active
    before = {"variant": existing.variant, "quantity": existing.quantity} if existing is not None and active else {}
    delta = quantity - (existing.quantity if existing is not None and active else 0)
    if preorder.status == PreorderStatus.funded and delta < 0:
        raise Conflict(
            _("This pre-order is funded: your pledge may grow or change, not shrink."),
            fields={"quantity": _("Keep at least %(least)s.", least=format_number(quantity - delta))},
        )
    _count(session, preorder=preorder, delta=delta, now=now)
    row = existing or Pledge(preorder_id=id_of(preorder), user_id=id_of(user), variant=variant, quantity=quantity)
    row.status = PledgeStatus.active
    row.variant = variant
    row.quantity = quantity
    row.updated_at = now
    if existing is None:
        row.created_at = now
    _set_address(row, address)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as error:  # the same member pledging twice at once: the unique pair refuses the second
        raise Conflict(_("You pledged a moment ago: reload to see your pledge.")) from error
    # Never the address: the audit log is read by moderators, and addresses are for the brand's managers only.
    moderation_audit.record(
        session,
        community_id=community.id,
        actor=user,
        action=AuditAction.pledge_changed if active else AuditAction.pledge_made,
        subject_kind="pledge",
        subject_id=row.id,
        before=before,
        after={"variant": variant, "quantity": quantity, "pledged_count": preorder.pledged_count},
        now=now,
    )
    outcomes.fund_if_reached(session, preorder=preorder, community=community, now=now)
    return row


def withdraw(
    session: Session, *, preorder: Preorder, community: Community, user: User, now: datetime | None = None
) -> Pledge:
    """Withdraw one's pledge before the deadline (not once the pre-order is funded); the address is erased."""
    now = now or utcnow()
    _require_open(preorder, now)
    _rate_limit(user)
    row = session.exec(
        select(Pledge).where(Pledge.preorder_id == preorder.id, Pledge.user_id == user.id).with_for_update()
    ).first()
    if row is None or row.status != PledgeStatus.active:
        raise NotFound(_("You have no pledge to withdraw."))
    if preorder.status == PreorderStatus.funded:
        raise Conflict(_("This pre-order is funded: pledges stand, and the brand prints on the strength of them."))
    _count(session, preorder=preorder, delta=-row.quantity, now=now)
    before = {"variant": row.variant, "quantity": row.quantity}
    row.status = PledgeStatus.withdrawn
    row.updated_at = now
    _set_address(row, Address())
    session.add(row)
    session.flush()
    moderation_audit.record(
        session,
        community_id=community.id,
        actor=user,
        action=AuditAction.pledge_withdrawn,
        subject_kind="pledge",
        subject_id=row.id,
        before=before,
        after={"pledged_count": preorder.pledged_count},
        now=now,
    )
    return row


def pledge_total(pledge_row: Pledge, preorder: Preorder) -> str:
    """What the pledge will cost when charged: "2 x €24.00 = €48.00"."""
    each = format_amount(preorder.price_minor, preorder.currency)
    total = format_amount(preorder.price_minor * pledge_row.quantity, preorder.currency)
    return _("%(quantity)s x %(each)s = %(total)s", quantity=format_number(pledge_row.quantity), each=each, total=total)
