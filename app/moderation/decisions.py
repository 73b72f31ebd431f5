"""A moderator's decisions on queue items: hide, restore (approve) or remove, one or many at once; authors and
reporters are told.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.columns import id_of, utcnow
from app.communities.models import Community
from app.errors import Invalid, NotFound
from app.i18n import N_, _, use_locale
from app.moderation import labels, subjects
from app.moderation.audit import clean_reason, record
from app.moderation.models import (
    AuditAction,
    AuditEntry,
    Decision,
    ItemStatus,
    ModerationItem,
    Report,
    SubjectKind,
)
from app.moderation.queue import tell_author
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind

_DECISION_STATUS = {
    Decision.hide: ItemStatus.hidden,
    Decision.restore: ItemStatus.restored,
    Decision.remove: ItemStatus.removed,
}


_DECISION_ACTION = {
    Decision.hide: AuditAction.hide,
    Decision.restore: AuditAction.restore,
    Decision.remove: AuditAction.remove,
}


SHOWN = (ItemStatus.open, ItemStatus.restored)


def decisions_for(kind: SubjectKind | str) -> list[Decision]:
    """The decisions an item of this kind accepts: what cannot be hidden (a profile) can only be left as it is."""
    if subjects.subject_type(kind).hide is None:
        return [Decision.restore]
    return list(Decision)


def decide(
    session: Session,
    *,
    community: Community,
    moderator: User,
    item_ids: Sequence[int],
    decision: Decision | str,
    reason: str,
    now: datetime | None = None,
) -> list[AuditEntry]:
    """Hide, restore (approve) or remove one item or many at once, with a reason; authors and reporters are told.

    All or nothing: an item of another community, or a profile asked to be hidden, refuses the whole batch.
    """
    now = now or utcnow()
    try:
        decision = Decision(decision)
    except ValueError:
        # Nothing is chosen in advance on the forms: a moderator who sends none is asked, never defaulted.
        raise Invalid(
            _("Choose a decision first."), fields={"decision": _("Choose a decision: hide, dismiss (keep) or remove.")}
        ) from None
    reason = clean_reason(reason, required=decision != Decision.restore)
    unique_ids = list(dict.fromkeys(item_ids))
    if not unique_ids:
        raise Invalid(_("Select at least one item."), fields={"item_ids": _("Select at least one item.")})
    items = session.exec(
        select(ModerationItem)
        .where(col(ModerationItem.id).in_(unique_ids), ModerationItem.community_id == community.id)
        .with_for_update()
    ).all()
    if len(items) != len(unique_ids):
        raise NotFound(_("There is no such item in this community's queue."))
    for item in items:
        if decision != Decision.restore and subjects.subject_type(item.subject_kind).hide is None:
            raise Invalid(
                _(
                    "A post of this kind (%(what)s) cannot be hidden or removed: warn, suspend or ban its owner "
                    "instead.",
                    what=labels.label("subject", item.subject_kind),
                ),
                fields={"decision": _("Not possible for a profile.")},
            )
    return [
        apply_decision(
            session, community=community, moderator=moderator, item=item, decision=decision, reason=reason, now=now
        )
        for item in items
    ]


def apply_decision(
    session: Session,
    *,
    community: Community,
    moderator: User,
    item: ModerationItem,
    decision: Decision,
    reason: str,
    now: datetime,
) -> AuditEntry:
    """One decision on one item: hide, show or remove its subject, audit it, and tell its author and reporters (also
    how a granted appeal restores what was hidden)."""
    kind = subjects.subject_type(item.subject_kind)
    before = item.status
    after = _DECISION_STATUS[decision]
    if after in SHOWN and before not in SHOWN and kind.restore is not None:
        kind.restore(session, item.subject_id)
    elif after not in SHOWN and before in SHOWN and kind.hide is not None:
        kind.hide(session, item.subject_id)
    item.status = after
    item.decided_at = now
    item.updated_at = now
    session.add(item)
    session.flush()
    entry = record(
        session,
        community_id=id_of(community),
        actor=moderator,
        action=_DECISION_ACTION[decision],
        subject_kind=item.subject_kind,
        subject_id=item.subject_id,
        target_user_id=item.author_id,
        reason=reason,
        before={"status": before.value if isinstance(before, ItemStatus) else str(before)},
        after={"status": after.value},
        now=now,
    )
    if decision == Decision.restore:
        if before not in SHOWN and _first_showing(session, item=item, entry=entry):
            tell_author(
                session,
                community=community,
                item=item,
                entry=entry,
                text=lambda: _("Your %(what)s is approved and published.", what=_(kind.label)),
            )
            if kind.announce is not None:  # nobody was told of it while it waited
                kind.announce(session, item.subject_id)
        elif before == ItemStatus.held:
            tell_author(
                session,
                community=community,
                item=item,
                entry=entry,
                text=lambda: _("Your %(what)s is shown again.", what=_(kind.label)),
            )
        outcome = N_("The moderators reviewed it and left it up.")
    elif decision == Decision.hide:
        tell_author(
            session,
            community=community,
            item=item,
            entry=entry,
            text=lambda: _(
                "Your %(what)s was hidden by a moderator: %(reason)s. You may appeal once.",
                what=_(kind.label),
                reason=reason,
            ),
        )
        outcome = N_("The moderators hid it. Thank you for reporting.")
    else:
        tell_author(
            session,
            community=community,
            item=item,
            entry=entry,
            text=lambda: _(
                "Your %(what)s was removed by a moderator: %(reason)s. You may appeal once.",
                what=_(kind.label),
                reason=reason,
            ),
        )
        outcome = N_("The moderators removed it. Thank you for reporting.")
    tell_reporters(session, community=community, moderator=moderator, item=item, label=kind.label, outcome=outcome)
    return entry


def _first_showing(session: Session, *, item: ModerationItem, entry: AuditEntry) -> bool:
    """Whether restoring the item shows its post for the first time: it was held for review when posted (screening)
    and never restored since. A post that was shown, then auto-hidden or hidden, was announced when it was posted."""
    earlier = session.exec(
        select(AuditEntry.action).where(
            AuditEntry.community_id == item.community_id,
            AuditEntry.subject_kind == item.subject_kind,
            AuditEntry.subject_id == item.subject_id,
            col(AuditEntry.id) != entry.id,
            col(AuditEntry.action).in_((AuditAction.hold, AuditAction.restore)),
        )
    ).all()
    return AuditAction.hold in earlier and AuditAction.restore not in earlier


def tell_reporters(
    session: Session, *, community: Community, moderator: User, item: ModerationItem, label: str, outcome: str
) -> None:
    """Tell everyone who reported the item what came of it, in their language: ``label`` (the kind of post) and
    ``outcome`` are marked for translation (``N_``), translated for each reporter."""
    for reporter in session.exec(
        select(User).join(Report, col(Report.reporter_id) == User.id).where(Report.item_id == item.id)
    ).all():
        with use_locale(reporter.locale, reporter.time_zone):
            text = _(
                "Your report (%(what)s) in %(community)s: %(outcome)s",
                what=_(label),
                community=community.name,
                outcome=_(outcome),
            )
        notifications_service.notify(
            session,
            user=reporter,
            kind=NotificationKind.report_outcome,
            text=text,
            link=f"/c/{community.slug}",
            actor=moderator,
        )
