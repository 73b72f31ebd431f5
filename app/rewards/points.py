"""Points: the brand's rules, awards for taking part, the rewards catalog and redemptions."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Integer, bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select, update

from app import rate_limits
from app.accounts.models import User
from app.brands.models import Brand
from app.columns import id_of, utcnow
from app.config import get_settings
from app.errors import Conflict, Invalid, NotFound
from app.i18n import _, use_locale
from app.i18n.formatting import format_number
from app.ledger import service as ledger_service
from app.ledger.models import POINTS, AccountKind, LedgerTransaction, TransactionKind
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind
from app.rewards.models import (
    SHIPPING_ADDRESS_MAX,
    PointsAction,
    PointsAward,
    PointsRule,
    Redemption,
    RewardItem,
    RewardKind,
)
from app.rewards.referrals import brands_to_refer
from app.rewards.shared import member_of_brand, new_code, run_claim

# Columns, not the ORM entity: scoring runs this for every first score, and most brands have no rule.
_RULE_QUERY = (
    sa_select(col(PointsRule.points), col(PointsRule.daily_cap))
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
    rule = session.execute(_RULE_QUERY, {"brand_id": brand_id, "action": action.value}).first()
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


def reverse_award(session: Session, *, award_id: int, reason: str, now: datetime | None = None) -> None:
    """Take back the points of an award through the ledger (a reversal of its transaction, at most once), for
    awards that hold only while what earned them stands (an accepted answer whose acceptance moved)."""
    award = session.get(PointsAward, award_id)
    if award is None:
        return
    transaction = session.get(LedgerTransaction, award.transaction_id)
    assert transaction is not None
    ledger_service.reverse_transaction(
        session,
        transaction=transaction,
        idempotency_key=f"points-reversal:{award.id}",
        description=f"{award.points} points taken back: {reason}",
        posted_at=now,
    )


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
        errors["action"] = _("Choose one of the actions listed.")
        chosen = PointsAction.design_submitted
    if not points.strip().isdigit() or int(points) > 100000:
        errors["points"] = _("Use a whole number of points from 0 to %(most)s.", most=format_number(100_000))
    if not daily_cap.strip().isdigit() or not 1 <= int(daily_cap) <= 1000:
        errors["daily_cap"] = _("Allow from 1 to %(most)s awards a day.", most=format_number(1000))
    if errors:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
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
        raise Conflict(_("Someone else just set this rule; reload and try again.")) from error
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
        errors["name"] = _("Name the reward (up to 120 characters).")
    if len(description) > 1000:
        errors["description"] = _("Use at most %(most)s characters.", most=format_number(1000))
    try:
        reward_kind = RewardKind(kind)
    except ValueError:
        errors["kind"] = _("Choose a discount code or merchandise.")
        reward_kind = RewardKind.discount_code
    if not points_cost.strip().isdigit() or not 1 <= int(points_cost) <= 1_000_000:
        errors["points_cost"] = _("Use a whole number of points from 1 to %(most)s.", most=format_number(1_000_000))
    if not stock.strip().isdigit() or int(stock) > 1_000_000:
        errors["stock"] = _("Use a whole number from 0 to %(most)s.", most=format_number(1_000_000))
    if errors:
        raise Invalid(_("Please correct the marked fields."), fields=errors)
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
            _("Please correct the marked field."),
            fields={
                "shipping_address": _("Where should we send it? Give a name and a postal address on separate lines.")
            },
        )
    if len(address) > SHIPPING_ADDRESS_MAX:
        raise Invalid(
            _("Please correct the marked field."),
            fields={
                "shipping_address": _(
                    "Keep the address to %(most)s characters.", most=format_number(SHIPPING_ADDRESS_MAX)
                )
            },
        )
    return address


def _replayed_redemption(session: Session, *, request_key: str, user: User) -> Redemption | None:
    replay = session.exec(select(Redemption).where(Redemption.request_key == request_key)).first()
    if replay is not None and replay.user_id != user.id:
        raise Conflict(_("This request key was used for another redemption."))
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
        raise Invalid(_("Send a request key of 1 to 100 characters with each redemption."))
    replay = _replayed_redemption(session, request_key=request_key, user=user)
    if replay is not None:
        return replay
    item = session.get(RewardItem, item_id)
    if item is None or not member_of_brand(session, user=user, brand_id=item.brand_id):
        raise NotFound(_("There is no such reward."))
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
        message=_("You are redeeming very fast; wait a minute."),
    )
    if account.balance_minor < item.points_cost:
        raise Conflict(
            _(
                "%(reward)s costs %(cost)s points; you have %(balance)s.",
                reward=item.name,
                cost=format_number(item.points_cost),
                balance=format_number(account.balance_minor),
            )
        )
    taken = run_claim(
        session,
        update(RewardItem)
        .where(col(RewardItem.id) == item.id, col(RewardItem.stock) > 0)
        .values(stock=RewardItem.stock - 1)
        .execution_options(synchronize_session=False),
    )
    if not taken.rowcount:
        raise Conflict(_("%(reward)s is out of stock.", reward=item.name))
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
        code=f"{new_code(4)}-{new_code(4)}-{new_code(4)}",
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
        raise Conflict(_("This redemption could not be completed; try again.")) from error
    with use_locale(user.locale, user.time_zone):
        names = {"reward": item.name, "code": redemption.code}
        if item.kind == RewardKind.discount_code:
            text = _("Your discount code for %(reward)s: %(code)s", **names)
        else:
            text = _("Your order code for %(reward)s: %(code)s", **names)
    notifications_service.notify(
        session,
        user=user,
        kind=NotificationKind.redemption_code,
        text=text,
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
        raise NotFound(_("There is no such redemption."))
    return redemption


def fulfil_redemption(
    session: Session, *, redemption: Redemption, actor: User, now: datetime | None = None
) -> Redemption:
    """Mark a redemption fulfilled (the reward sent, the code honoured); once: a second time is refused."""
    claimed = run_claim(
        session,
        update(Redemption)
        .where(col(Redemption.id) == redemption.id, col(Redemption.fulfilled_at).is_(None))
        .values(fulfilled_at=now or utcnow(), fulfilled_by_id=actor.id)
        .execution_options(synchronize_session=False),
    )
    session.refresh(redemption)
    if not claimed.rowcount:
        raise Conflict(_("Redemption %(code)s is fulfilled already.", code=redemption.code))
    return redemption
