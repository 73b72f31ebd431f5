"""Small steps several rewards use cases share: a claim by conditional UPDATE, membership of a brand's
communities, random codes and notifying a member by id."""

import secrets
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import CursorResult
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.communities.models import Community, Membership
from app.i18n import use_locale
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I


def run_claim(session: Session, statement: Any) -> CursorResult[Any]:
    """Execute an UPDATE whose rowcount says whether its condition held (a claim)."""
    return cast(CursorResult[Any], session.execute(statement))


def new_code(length: int) -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _position in range(length))


def member_of_brand(session: Session, *, user: User, brand_id: int) -> bool:
    return (
        session.exec(
            select(Membership.id)
            .join(Community, col(Community.id) == Membership.community_id)
            .where(Membership.user_id == user.id, Community.brand_id == brand_id)
            .limit(1)
        ).first()
        is not None
    )


def notify_user_id(
    session: Session,
    *,
    user_id: int,
    kind: NotificationKind,
    text: Callable[[], str],
    link: str,
    rollup: Callable[[], notifications_service.Rollup] | None = None,
) -> None:
    """Notify a member; ``text`` and ``rollup`` write the words, called in the member's own language."""
    user = session.get(User, user_id)
    if user is None:
        return
    with use_locale(user.locale, user.time_zone):
        written = text()
        grouped = rollup() if rollup is not None else None
    notifications_service.notify(session, user=user, kind=kind, text=written, link=link, rollup=grouped)
