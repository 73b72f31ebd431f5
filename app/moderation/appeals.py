"""Appeals: a member appeals a decision about them once; another moderator or the brand's staff grant it (the
decision is reversed) or reject it. Also the list of decisions about a member, where they appeal.
"""

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.columns import id_of, utcnow
from app.communities.models import Community, MemberRole, Membership
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.i18n import _, use_locale
from app.i18n.formatting import format_number
from app.moderation import labels
from app.moderation.audit import clean_reason, decision_link, record
from app.moderation.decisions import SHOWN, apply_decision
from app.moderation.models import (
    Appeal,
    AppealStatus,
    AuditAction,
    AuditEntry,
    Decision,
    ModerationItem,
    Sanction,
)
from app.moderation.sanctions import lift_sanction
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind

APPEAL_MAX = 2000


# Decisions about a member that they may appeal (once each).
APPEALABLE = frozenset(
    {
        AuditAction.hide,
        AuditAction.remove,
        AuditAction.auto_hide,
        AuditAction.hold,
        AuditAction.warning,
        AuditAction.suspension,
        AuditAction.ban,
    }
)


def get_decision(session: Session, *, community: Community, entry_id: int, viewer: User) -> AuditEntry:
    """A decision about the viewer in this community (someone else's answers 404)."""
    entry = session.get(AuditEntry, entry_id)
    if entry is None or entry.community_id != community.id or entry.target_user_id != viewer.id:
        raise NotFound(_("There is no such decision about you."))
    return entry


def appeal_for(session: Session, *, entry: AuditEntry) -> Appeal | None:
    return session.exec(select(Appeal).where(Appeal.audit_entry_id == entry.id)).first()


def file_appeal(
    session: Session, *, community: Community, appellant: User, entry_id: int, body: str, now: datetime | None = None
) -> Appeal:
    """Appeal a decision about oneself, once; the community's other moderators and the brand's managers decide."""
    entry = get_decision(session, community=community, entry_id=entry_id, viewer=appellant)
    if entry.action not in APPEALABLE:
        raise Conflict(_("This decision cannot be appealed."))
    body = body.strip()
    if not body:
        raise Invalid(_("Please correct the marked fields."), fields={"body": _("Say why the decision should change.")})
    if len(body) > APPEAL_MAX:
        raise Invalid(
            _("Please correct the marked fields."),
            fields={"body": _("Keep it under %(limit)s characters.", limit=format_number(APPEAL_MAX))},
        )
    appeal = Appeal(
        audit_entry_id=id_of(entry),
        community_id=id_of(community),
        appellant_id=id_of(appellant),
        body=body,
        created_at=now or utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(appeal)
            session.flush()
    except IntegrityError:
        raise Conflict(_("You have appealed this decision already; each decision may be appealed once.")) from None
    moderators = session.exec(
        select(User)
        .join(Membership, col(Membership.user_id) == User.id)
        .where(Membership.community_id == community.id, Membership.role == MemberRole.moderator)
    ).all()
    for moderator in moderators:
        if moderator.id != entry.actor_id:  # another moderator decides it
            with use_locale(moderator.locale, moderator.time_zone):
                text = _(
                    "@%(handle)s appeals a decision (%(action)s) in %(community)s.",
                    handle=appellant.handle,
                    action=labels.label("action", entry.action),
                    community=community.name,
                )
            notifications_service.notify(
                session,
                user=moderator,
                kind=NotificationKind.appeal_filed,
                text=text,
                link=f"/c/{community.slug}/moderation/appeals",
                actor=appellant,
            )
    return appeal


def list_appeals(
    session: Session, *, community: Community, status: AppealStatus | None = AppealStatus.pending
) -> list[tuple[Appeal, AuditEntry, User]]:
    query = (
        select(Appeal, AuditEntry, User)
        .join(AuditEntry, col(AuditEntry.id) == Appeal.audit_entry_id)
        .join(User, col(User.id) == Appeal.appellant_id)
        .where(Appeal.community_id == community.id)
        .order_by(col(Appeal.id))
    )
    if status is not None:
        query = query.where(Appeal.status == status)
    return [(appeal, entry, user) for appeal, entry, user in session.exec(query).all()]


def get_appeal(session: Session, *, community: Community, appeal_id: int) -> Appeal:
    appeal = session.get(Appeal, appeal_id)
    if appeal is None or appeal.community_id != community.id:
        raise NotFound(_("There is no such appeal in this community."))
    return appeal


def decide_appeal(
    session: Session,
    *,
    community: Community,
    decider: User,
    appeal: Appeal,
    grant: bool,
    reason: str,
    now: datetime | None = None,
) -> Appeal:
    """Grant (the decision is reversed) or reject an appeal; never by the moderator who made the decision."""
    now = now or utcnow()
    reason = clean_reason(reason)
    entry = session.get(AuditEntry, appeal.audit_entry_id)
    assert entry is not None
    if appeal.community_id != community.id:
        raise NotFound(_("There is no such appeal in this community."))
    if entry.actor_id is not None and entry.actor_id == decider.id:
        raise Forbidden(_("A different moderator, or the brand's staff, must decide an appeal against your decision."))
    if decider.id == appeal.appellant_id:
        raise Forbidden(_("You cannot decide your own appeal."))
    changed = cast(
        CursorResult[Any],
        session.execute(
            update(Appeal)
            .where(col(Appeal.id) == appeal.id, col(Appeal.status) == AppealStatus.pending.value)
            .values(
                status=(AppealStatus.granted if grant else AppealStatus.rejected).value,
                decided_by_id=decider.id,
                decided_at=now,
                decision_reason=reason,
            )
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if not changed:
        raise Conflict(_("This appeal is decided already."))
    session.refresh(appeal)
    if grant:
        _reverse(session, community=community, decider=decider, entry=entry, reason=reason, now=now)
    record(
        session,
        community_id=id_of(community),
        actor=decider,
        action=AuditAction.appeal_granted if grant else AuditAction.appeal_rejected,
        subject_kind="appeal",
        subject_id=id_of(appeal),
        target_user_id=appeal.appellant_id,
        reason=reason,
        before={"status": AppealStatus.pending.value},
        after={"status": appeal.status.value if isinstance(appeal.status, AppealStatus) else str(appeal.status)},
        now=now,
    )
    appellant = session.get(User, appeal.appellant_id)
    if appellant is not None:
        with use_locale(appellant.locale, appellant.time_zone):
            if grant:
                text = _(
                    "Your appeal in %(community)s was granted: the decision is reversed. %(reason)s",
                    community=community.name,
                    reason=reason,
                )
            else:
                text = _(
                    "Your appeal in %(community)s was rejected: the decision stands. %(reason)s",
                    community=community.name,
                    reason=reason,
                )
        notifications_service.notify(
            session,
            user=appellant,
            kind=NotificationKind.appeal_decided,
            text=text,
            link=decision_link(community, id_of(entry)),
            actor=decider,
        )
    return appeal


def _reverse(
    session: Session, *, community: Community, decider: User, entry: AuditEntry, reason: str, now: datetime
) -> None:
    if entry.subject_kind == "sanction" and entry.subject_id is not None:
        sanction = session.get(Sanction, entry.subject_id)
        if sanction is not None and sanction.lifted_at is None:
            lift_sanction(
                session,
                community=community,
                moderator=decider,
                sanction=sanction,
                reason=_("Appeal granted: %(reason)s", reason=reason),
                now=now,
            )
        return
    item = session.exec(
        select(ModerationItem).where(
            ModerationItem.community_id == community.id,
            ModerationItem.subject_kind == entry.subject_kind,
            ModerationItem.subject_id == entry.subject_id,
        )
    ).first()
    if item is not None and item.status not in SHOWN:
        apply_decision(
            session,
            community=community,
            moderator=decider,
            item=item,
            decision=Decision.restore,
            reason=_("Appeal granted: %(reason)s", reason=reason),
            now=now,
        )


def my_decisions(session: Session, *, community: Community, member: User) -> list[tuple[AuditEntry, Appeal | None]]:
    """The decisions about a member in a community, newest first, with their appeal if any."""
    rows = session.exec(
        select(AuditEntry, Appeal)
        .outerjoin(Appeal, col(Appeal.audit_entry_id) == AuditEntry.id)
        .where(AuditEntry.community_id == community.id, AuditEntry.target_user_id == member.id)
        .where(col(AuditEntry.action).in_(APPEALABLE))
        .order_by(col(AuditEntry.id).desc())
    ).all()
    return [(entry, appeal) for entry, appeal in rows]
