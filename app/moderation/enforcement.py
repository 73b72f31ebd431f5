"""The one place suspensions and bans are enforced: the community permits call ``refuse_if_sanctioned``.

Kept free of other domains' services so the permits (app.communities.deps, app.challenges.deps) can import it.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlmodel import Session, col

from app.columns import utcnow
from app.errors import Forbidden
from app.i18n import _
from app.i18n.formatting import format_datetime
from app.moderation.models import Sanction, SanctionKind
from app.permissions import COMMUNITY_WRITE_ACTIONS, Action

_BLOCKING = (SanctionKind.suspension, SanctionKind.ban)


def _active(community_id: Any, user_id: Any, now: Any) -> list[ColumnElement[bool]]:
    return [
        col(Sanction.community_id) == community_id,
        col(Sanction.user_id) == user_id,
        col(Sanction.kind).in_(_BLOCKING),
        col(Sanction.lifted_at).is_(None),
        or_(col(Sanction.ends_at).is_(None), col(Sanction.ends_at) > now),
    ]


def active_sanction_id(community_id: Any, user_id: Any, now: Any) -> Any:
    """A scalar subquery: the id of the member's blocking sanction there (a ban before the longest suspension)."""
    return (
        select(col(Sanction.id))
        .where(*_active(community_id, user_id, now))
        .order_by(col(Sanction.ends_at).is_(None).desc(), col(Sanction.ends_at).desc())
        .limit(1)
        .scalar_subquery()
    )


def find_active_sanction(
    session: Session, *, community_id: int, user_id: int, now: datetime | None = None
) -> Sanction | None:
    """The suspension or ban that stops this member writing in this community now, if any."""
    sanction_id = session.execute(select(active_sanction_id(community_id, user_id, now or utcnow()))).scalar()
    return session.get(Sanction, sanction_id) if sanction_id is not None else None


def sanction_message(sanction: Sanction, community_name: str) -> str:
    if sanction.kind == SanctionKind.ban or sanction.ends_at is None:
        return _("You are banned from %(community)s: %(reason)s", community=community_name, reason=sanction.reason)
    return _(
        "You are suspended in %(community)s until %(until)s: %(reason)s",
        community=community_name,
        until=format_datetime(sanction.ends_at, style="short"),
        reason=sanction.reason,
    )


def refuse_if_sanctioned(
    session: Session,
    *,
    action: Action,
    community_id: int,
    community_name: str,
    user_id: int | None,
    sanction_id: int | None = None,
    known: bool = False,
) -> None:
    """Raise 403 when a write action is attempted by a member suspended or banned in the community.

    A permit that loaded the sanction's id in its own query passes it with ``known=True`` (no further query unless
    there is one); otherwise it is looked up here.
    """
    if action not in COMMUNITY_WRITE_ACTIONS or user_id is None:
        return
    if known:
        sanction = session.get(Sanction, sanction_id) if sanction_id is not None else None
    else:
        sanction = find_active_sanction(session, community_id=community_id, user_id=user_id)
    if sanction is not None:
        raise Forbidden(sanction_message(sanction, community_name))


def is_blocking(sanction: Sanction, now: datetime) -> bool:
    return (
        sanction.kind != SanctionKind.warning
        and sanction.lifted_at is None
        and (sanction.ends_at is None or sanction.ends_at > now)
    )
