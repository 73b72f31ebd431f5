"""Sanctions of members in a community (warning, suspension, ban) and lifting them; site-wide bans by a site admin."""

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.accounts import sessions as accounts_sessions
from app.accounts.models import ApiToken, User
from app.columns import id_of, utcnow
from app.communities.models import Community, Membership
from app.errors import Conflict, Invalid, NotFound
from app.i18n import N_, _, use_locale
from app.i18n.formatting import format_datetime
from app.moderation import labels, subjects
from app.moderation.audit import clean_reason, decision_link, record, users_by_id
from app.moderation.decisions import tell_reporters
from app.moderation.enforcement import is_blocking
from app.moderation.models import (
    AuditAction,
    AuditEntry,
    ItemStatus,
    Sanction,
    SanctionKind,
    SubjectKind,
)
from app.moderation.queue import get_item
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind

MAX_SUSPENSION_DAYS = 365


# What the reporters of a profile are told when its owner is sanctioned (marked; translated for each reporter).
SANCTION_OUTCOME = {
    SanctionKind.warning: N_("The moderators warned its owner. Thank you for reporting."),
    SanctionKind.suspension: N_("The moderators suspended its owner. Thank you for reporting."),
    SanctionKind.ban: N_("The moderators banned its owner. Thank you for reporting."),
}


def sanction_member(
    session: Session,
    *,
    community: Community,
    moderator: User,
    member: User,
    kind: SanctionKind | str,
    reason: str,
    days: int | None = None,
    item_id: int | None = None,
    now: datetime | None = None,
) -> Sanction:
    """Warn a member, suspend them for some days (they can read but not post, score, answer or report), or ban
    them from the community; they are told why and how to appeal.

    With ``item_id`` (a reported profile's queue item, which cannot be hidden), the sanction is the decision on it:
    the item is resolved (it stays shown, as ``restored``) and its reporters are told.
    """
    now = now or utcnow()
    item = get_item(session, community=community, item_id=item_id) if item_id is not None else None
    if item is not None and (item.subject_kind != SubjectKind.profile or item.subject_id != member.id):
        raise Invalid(
            _("Sanction a reported profile's owner from its item; other items are hidden or removed instead.")
        )
    try:
        kind = SanctionKind(kind)
    except ValueError:
        raise Invalid(
            _("Please correct the marked fields."), fields={"kind": _("Choose a warning, suspension or ban.")}
        ) from None
    reason = clean_reason(reason)
    if member.id == moderator.id:
        raise Conflict(_("You cannot sanction yourself."))
    membership = session.exec(
        select(Membership).where(Membership.community_id == community.id, Membership.user_id == member.id)
    ).first()
    if membership is None:
        raise NotFound(_("This person is not a member of the community."))
    ends_at = None
    if kind == SanctionKind.suspension:
        if days is None or not 1 <= days <= MAX_SUSPENSION_DAYS:
            raise Invalid(
                _("Please correct the marked fields."),
                fields={"days": _("A suspension lasts 1 to %(most)s days.", most=MAX_SUSPENSION_DAYS)},
            )
        ends_at = now + timedelta(days=days)
    sanction = Sanction(
        community_id=id_of(community),
        user_id=id_of(member),
        kind=kind,
        reason=reason,
        created_by_id=moderator.id,
        created_at=now,
        ends_at=ends_at,
    )
    session.add(sanction)
    session.flush()
    entry = record(
        session,
        community_id=id_of(community),
        actor=moderator,
        action=AuditAction(kind.value),
        subject_kind="sanction",
        subject_id=id_of(sanction),
        target_user_id=id_of(member),
        reason=reason,
        after={"kind": kind.value, "ends_at": ends_at.isoformat() if ends_at else None},
        now=now,
    )
    with use_locale(member.locale, member.time_zone):
        if kind == SanctionKind.warning:
            text = _(
                "You have a warning in %(community)s: %(reason)s. You may appeal once.",
                community=community.name,
                reason=reason,
            )
        elif kind == SanctionKind.suspension:
            text = _(
                "You are suspended in %(community)s until %(until)s: %(reason)s. You may appeal once.",
                community=community.name,
                until=format_datetime(ends_at, style="short"),
                reason=reason,
            )
        else:
            text = _(
                "You are banned from %(community)s: %(reason)s. You may appeal once.",
                community=community.name,
                reason=reason,
            )
    notifications_service.notify(
        session,
        user=member,
        kind=NotificationKind.sanction,
        text=text,
        link=decision_link(community, id_of(entry)),
    )
    if item is not None:
        item.status = ItemStatus.restored
        item.decided_at = now
        item.updated_at = now
        session.add(item)
        session.flush()
        tell_reporters(
            session,
            community=community,
            moderator=moderator,
            item=item,
            label=subjects.subject_type(item.subject_kind).label,
            outcome=SANCTION_OUTCOME[kind],
        )
    return sanction


def get_sanction(session: Session, *, community: Community, sanction_id: int) -> Sanction:
    sanction = session.get(Sanction, sanction_id)
    if sanction is None or sanction.community_id != community.id:
        raise NotFound(_("There is no such sanction in this community."))
    return sanction


def lift_sanction(
    session: Session,
    *,
    community: Community,
    moderator: User | None,
    sanction: Sanction,
    reason: str,
    now: datetime | None = None,
) -> Sanction:
    """End a suspension or ban early (or withdraw a warning); audited, and the member is told."""
    now = now or utcnow()
    reason = clean_reason(reason)
    if sanction.community_id != community.id:
        raise NotFound(_("There is no such sanction in this community."))
    if sanction.lifted_at is not None:
        raise Conflict(_("This sanction is lifted already."))
    sanction.lifted_at = now
    session.add(sanction)
    session.flush()
    record(
        session,
        community_id=id_of(community),
        actor=moderator,
        action=AuditAction.lift_sanction,
        subject_kind="sanction",
        subject_id=id_of(sanction),
        target_user_id=sanction.user_id,
        reason=reason,
        before={"lifted_at": None},
        after={"lifted_at": now.isoformat()},
        now=now,
    )
    member = session.get(User, sanction.user_id)
    if member is not None:
        with use_locale(member.locale, member.time_zone):
            text = _(
                "Your %(sanction)s in %(community)s is lifted: %(reason)s",
                sanction=labels.label("sanction", sanction.kind),
                community=community.name,
                reason=reason,
            )
        notifications_service.notify(
            session,
            user=member,
            kind=NotificationKind.sanction,
            text=text,
            link=f"/c/{community.slug}",
            actor=moderator,
        )
    return sanction


def list_sanctions(session: Session, *, community: Community, active_only: bool = False) -> list[tuple[Sanction, User]]:
    """The community's sanctions, newest first, with the member."""
    rows = session.exec(
        select(Sanction, User)
        .join(User, col(User.id) == Sanction.user_id)
        .where(Sanction.community_id == community.id)
        .order_by(col(Sanction.id).desc())
    ).all()
    now = utcnow()
    return [(sanction, user) for sanction, user in rows if not active_only or is_blocking(sanction, now)]


def ban_site_wide(session: Session, *, admin: User, user: User, reason: str, now: datetime | None = None) -> User:
    """A site admin bans someone from all of Chorus: the account is deactivated (no login, no API token works) and
    its sessions and tokens are revoked; its content stays. Audited, outside any community."""
    now = now or utcnow()
    reason = clean_reason(reason)
    if user.id == admin.id:
        raise Conflict(_("You cannot ban yourself."))
    if not user.is_active:
        raise Conflict(_("@%(handle)s is deactivated already.", handle=user.handle))
    user.is_active = False
    session.add(user)
    accounts_sessions.end_all_sessions(session, user=user)
    session.execute(
        update(ApiToken)
        .where(col(ApiToken.user_id) == user.id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    record(
        session,
        community_id=None,
        actor=admin,
        action=AuditAction.site_ban,
        subject_kind="user",
        subject_id=id_of(user),
        target_user_id=id_of(user),
        reason=reason,
        before={"is_active": True},
        after={"is_active": False},
        now=now,
    )
    return user


def list_site_bans(session: Session) -> list[tuple[AuditEntry, User | None, User | None]]:
    """The site-wide bans, newest first, with the admin and the banned account."""
    entries = session.exec(
        select(AuditEntry).where(AuditEntry.action == AuditAction.site_ban).order_by(col(AuditEntry.id).desc())
    ).all()
    people = users_by_id(session, {i for e in entries for i in (e.actor_id, e.target_user_id) if i is not None})
    return [(e, people.get(e.actor_id or 0), people.get(e.target_user_id or 0)) for e in entries]
