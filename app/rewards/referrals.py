"""Referral codes and links: clicks, sign-ups and each member's funnel per brand."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select, update

from app import rate_limits
from app.accounts.models import User
from app.brands.models import Brand
from app.columns import id_of
from app.communities.models import Community, Membership
from app.config import get_settings
from app.errors import Conflict, NotFound
from app.i18n import _
from app.rewards.models import (
    ReferralCode,
    ReferralSignup,
    Sale,
)
from app.rewards.shared import member_of_brand, new_code


def referral_code_for(session: Session, *, user: User, brand: Brand) -> ReferralCode:
    """The member's referral code for a brand, made on first use (members of the brand's communities only)."""
    existing = session.exec(
        select(ReferralCode).where(ReferralCode.brand_id == brand.id, ReferralCode.user_id == user.id)
    ).first()
    if existing is not None:
        return existing
    if not member_of_brand(session, user=user, brand_id=id_of(brand)):
        raise NotFound(_("There is no such brand among your communities."))
    for _attempt in range(5):
        code = ReferralCode(code=new_code(8), brand_id=id_of(brand), user_id=id_of(user))
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
    raise Conflict(_("Could not make a referral code just now; try again."))


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
