"""The moderation queue: one item per reported or screened subject in a community (claimed even under races), held
until a moderator decides, listed with its reports and its author's history here, and shown in context.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.columns import id_of, utcnow
from app.communities.models import Community
from app.errors import Invalid, NotFound
from app.i18n import _, use_locale
from app.moderation import subjects
from app.moderation.audit import decision_link, record, users_by_id
from app.moderation.enforcement import is_blocking
from app.moderation.models import (
    AuditAction,
    AuditEntry,
    ItemFlag,
    ItemStatus,
    ModerationItem,
    Report,
    ReportReason,
    Sanction,
    SubjectKind,
)
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind

QUEUE_PAGE_SIZE = 50


def _insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def claim_item(
    session: Session, *, community: Community, kind: SubjectKind, subject_id: int, flag: ItemFlag, now: datetime
) -> ModerationItem:
    """The queue item of this subject in this community, created if new (one per subject, even under races)."""
    info = subjects.describe(session, kind=kind, subject_id=subject_id, community_id=id_of(community))
    statement = (
        _insert(session)(ModerationItem)
        .values(
            community_id=id_of(community),
            subject_kind=kind.value,
            subject_id=subject_id,
            author_id=info.author_id,
            excerpt=info.excerpt,
            link=info.link,
            flag=flag.value,
            status=ItemStatus.open.value,
            report_count=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing()
    )
    session.execute(statement)
    item = session.exec(
        select(ModerationItem).where(
            ModerationItem.community_id == community.id,
            ModerationItem.subject_kind == kind,
            ModerationItem.subject_id == subject_id,
        )
    ).one()
    return item


def hold(
    session: Session, *, community: Community, item: ModerationItem, action: AuditAction, reason: str, now: datetime
) -> bool:
    """Hide an open item until a moderator decides; False when another request held it first, or it cannot hide."""
    kind = subjects.subject_type(item.subject_kind)
    if kind.hide is None:
        return False
    changed = cast(
        CursorResult[Any],
        session.execute(
            update(ModerationItem)
            .where(col(ModerationItem.id) == item.id, col(ModerationItem.status) == ItemStatus.open.value)
            .values(status=ItemStatus.held.value, updated_at=now)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if not changed:
        return False
    session.refresh(item)
    kind.hide(session, item.subject_id)
    entry = record(
        session,
        community_id=id_of(community),
        actor=None,
        action=action,
        subject_kind=item.subject_kind,
        subject_id=item.subject_id,
        target_user_id=item.author_id,
        reason=reason,
        before={"status": ItemStatus.open.value},
        after={"status": ItemStatus.held.value},
        now=now,
    )

    def text() -> str:
        if action == AuditAction.hold:
            return _("Your %(what)s is waiting for review: %(reason)s", what=_(kind.label), reason=reason)
        return _("Your %(what)s is hidden until a moderator decides: %(reason)s", what=_(kind.label), reason=reason)

    tell_author(session, community=community, item=item, entry=entry, text=text)
    return True


def tell_author(
    session: Session, *, community: Community, item: ModerationItem, entry: AuditEntry, text: Callable[[], str]
) -> None:
    """Tell the item's author (when it has one) of a decision, linking to where they may read and appeal it;
    ``text`` makes the words, called in the author's language."""
    author = session.get(User, item.author_id) if item.author_id is not None else None
    if author is not None:
        with use_locale(author.locale, author.time_zone):
            words = text()
        notifications_service.notify(
            session,
            user=author,
            kind=NotificationKind.moderation_decision,
            text=words,
            link=decision_link(community, id_of(entry)),
        )


@dataclass(frozen=True)
class AuthorHistory:
    """An author in this community: their queue items (this one included) and the reports on them, how many of
    those were hidden or removed, their sanctions (and the one in force), their posts, and their account's age."""

    items: int = 0
    hidden_or_removed: int = 0
    sanctions: int = 0
    active_sanction: Sanction | None = None
    reports: int = 0
    posts: int = 0
    account_created_at: datetime | None = None
    account_age_days: int | None = None


@dataclass
class QueueEntry:
    item: ModerationItem
    author: User | None
    reasons: dict[str, int] = field(default_factory=dict)
    history: AuthorHistory = field(default_factory=AuthorHistory)
    link: str = ""


@dataclass(frozen=True)
class QueueFilters:
    status: str = "waiting"  # "waiting" is open and held together; or one ItemStatus; or "all"
    kind: str = ""
    flag: str = ""
    reason: str = ""


def _author_histories(session: Session, *, community: Community, authors: dict[int, User]) -> dict[int, AuthorHistory]:
    author_ids = set(authors)
    if not author_ids:
        return {}
    counts: dict[int, Counter[str]] = {author_id: Counter() for author_id in author_ids}
    for author_id, status, number in session.exec(
        select(ModerationItem.author_id, ModerationItem.status, func.count())
        .where(ModerationItem.community_id == community.id, col(ModerationItem.author_id).in_(author_ids))
        .group_by(col(ModerationItem.author_id), col(ModerationItem.status))
    ).all():
        counts[author_id or 0][status] += number
    sanctions = session.exec(
        select(Sanction)
        .where(Sanction.community_id == community.id, col(Sanction.user_id).in_(author_ids))
        .order_by(col(Sanction.id))
    ).all()
    reports = dict(
        session.exec(
            select(ModerationItem.author_id, func.count())
            .join(Report, col(Report.item_id) == ModerationItem.id)
            .where(ModerationItem.community_id == community.id, col(ModerationItem.author_id).in_(author_ids))
            .group_by(col(ModerationItem.author_id))
        ).all()
    )
    posts = subjects.posts_by(session, community_id=id_of(community), author_ids=author_ids)
    now = utcnow()
    histories = {}
    for author_id, counter in counts.items():
        theirs = [sanction for sanction in sanctions if sanction.user_id == author_id]
        created_at = authors[author_id].created_at
        histories[author_id] = AuthorHistory(
            items=sum(counter.values()),
            hidden_or_removed=counter[ItemStatus.hidden] + counter[ItemStatus.removed],
            sanctions=len(theirs),
            active_sanction=next((s for s in reversed(theirs) if is_blocking(s, now)), None),
            reports=reports.get(author_id, 0),
            posts=posts[author_id],
            account_created_at=created_at,
            account_age_days=max(0, (now - created_at).days),
        )
    return histories


def list_queue(
    session: Session, *, community: Community, filters: QueueFilters, limit: int = QUEUE_PAGE_SIZE
) -> list[QueueEntry]:
    """The community's queue, most reported first, each item with its reasons and its author's history here."""
    query = select(ModerationItem).where(ModerationItem.community_id == community.id)
    try:
        if filters.status == "waiting":
            query = query.where(col(ModerationItem.status).in_((ItemStatus.open, ItemStatus.held)))
        elif filters.status != "all":
            query = query.where(ModerationItem.status == ItemStatus(filters.status))
        if filters.kind:
            query = query.where(ModerationItem.subject_kind == SubjectKind(filters.kind))
        if filters.flag:
            query = query.where(ModerationItem.flag == ItemFlag(filters.flag))
        if filters.reason:
            reason = ReportReason(filters.reason)
            query = query.where(
                col(ModerationItem.id).in_(select(Report.item_id).where(Report.reason == reason))  # type: ignore[arg-type]
            )
    except ValueError:
        raise Invalid(_("Choose the filters from their lists.")) from None
    items = session.exec(
        query.order_by(col(ModerationItem.report_count).desc(), col(ModerationItem.id)).limit(limit)
    ).all()
    return _entries(session, community=community, items=items)


def _entries(session: Session, *, community: Community, items: Sequence[ModerationItem]) -> list[QueueEntry]:
    item_ids = [id_of(item) for item in items]
    reasons: dict[int, dict[str, int]] = {item_id: {} for item_id in item_ids}
    if item_ids:
        for item_id, reason, number in session.exec(
            select(Report.item_id, Report.reason, func.count())
            .where(col(Report.item_id).in_(item_ids))
            .group_by(col(Report.item_id), col(Report.reason))
        ).all():
            reasons[item_id][reason] = number
    author_ids = {item.author_id for item in items if item.author_id is not None}
    authors = users_by_id(session, author_ids)
    histories = _author_histories(session, community=community, authors=authors)
    return [
        QueueEntry(
            item=item,
            author=authors.get(item.author_id or 0),
            reasons=reasons[id_of(item)],
            history=histories.get(item.author_id or 0, AuthorHistory()),
            link=item.link,
        )
        for item in items
    ]


@dataclass(frozen=True)
class ItemDetail:
    entry: QueueEntry
    subject: subjects.SubjectInfo | None
    reports: list[tuple[Report, User]]
    audit: list[AuditEntry]


def item_statuses(
    session: Session, *, community_id: int, kind: SubjectKind, subject_ids: Iterable[int]
) -> dict[int, ItemStatus]:
    """Where each subject stands in the queue (held for review, hidden, removed, ...), for telling its author."""
    ids = set(subject_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(ModerationItem.subject_id, ModerationItem.status).where(
            ModerationItem.community_id == community_id,
            ModerationItem.subject_kind == kind,
            col(ModerationItem.subject_id).in_(ids),
        )
    ).all()
    return {subject_id: ItemStatus(status) for subject_id, status in rows}


def get_item(session: Session, *, community: Community, item_id: int) -> ModerationItem:
    item = session.get(ModerationItem, item_id)
    if item is None or item.community_id != community.id:
        raise NotFound(_("There is no such item in this community's queue."))
    return item


def item_detail(session: Session, *, community: Community, item_id: int) -> ItemDetail:
    """One item in context: the content as it is now, every report, and what was done with it before."""
    item = get_item(session, community=community, item_id=item_id)
    (entry,) = _entries(session, community=community, items=[item])
    subject = subjects.subject_type(item.subject_kind).describe(session, item.subject_id, id_of(community))
    if subject is not None:
        entry.link = subject.link
    reports = [
        (report, reporter)
        for report, reporter in session.exec(
            select(Report, User)
            .join(User, col(User.id) == Report.reporter_id)
            .where(Report.item_id == item.id)
            .order_by(col(Report.id))
        ).all()
    ]
    about_it = (col(AuditEntry.subject_kind) == item.subject_kind) & (col(AuditEntry.subject_id) == item.subject_id)
    if item.subject_kind == SubjectKind.profile:  # what is done about a profile is done to its owner
        about_it = about_it | (
            (col(AuditEntry.subject_kind) == "sanction") & (col(AuditEntry.target_user_id) == item.subject_id)
        )
    audit = session.exec(
        select(AuditEntry).where(AuditEntry.community_id == community.id, about_it).order_by(col(AuditEntry.id))
    ).all()
    return ItemDetail(entry=entry, subject=subject, reports=reports, audit=list(audit))
