"""Moderation use cases: reports and the queue, decisions, sanctions, the audit log, appeals, and screening new posts
(pre-moderation, blocked words, near-duplicates).

Every act of a moderator (or of the system on their behalf: auto-hide, holding a post) writes one audit entry in
the same transaction; the entry is what the member may appeal.
"""

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app import rate_limits
from app.accounts import service as accounts_service
from app.accounts.models import ApiToken, User
from app.columns import id_of, utcnow
from app.communities.models import Community, MemberRole, Membership
from app.config import get_settings
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.moderation import subjects
from app.moderation.models import (
    REPORT_NOTE_MAX,
    Appeal,
    AppealStatus,
    AuditAction,
    AuditEntry,
    Decision,
    ItemFlag,
    ItemStatus,
    ModerationItem,
    ModerationSettings,
    Report,
    ReportReason,
    Sanction,
    SanctionKind,
    SubjectKind,
)
from app.notifications import service as notifications_service
from app.notifications.models import NotificationKind
from app.surveys import service as surveys_service
from app.surveys.models import Survey, SurveyResponse

REASON_MAX = 500
NOTE_MAX = REPORT_NOTE_MAX
APPEAL_MAX = 2000
MAX_SUSPENSION_DAYS = 365
QUEUE_PAGE_SIZE = 50
AUDIT_PAGE_SIZE = 100
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
_SHOWN = (ItemStatus.open, ItemStatus.restored)
HELD_FOR_REVIEW = "A moderator reviews it before it is published."
SANCTION_VERB = {SanctionKind.warning: "warned", SanctionKind.suspension: "suspended", SanctionKind.ban: "banned"}


def decision_link(community: Community, entry_id: int) -> str:
    """Where a member reads a decision about them and appeals it."""
    return f"/c/{community.slug}/decisions/{entry_id}"


def _clean_reason(reason: str, *, required: bool = True, field_name: str = "reason") -> str:
    reason = reason.strip()
    if required and not reason:
        raise Invalid("Please correct the marked fields.", fields={field_name: "Give a reason: the member is told it."})
    if len(reason) > REASON_MAX:
        raise Invalid(
            "Please correct the marked fields.", fields={field_name: f"Keep it under {REASON_MAX} characters."}
        )
    return reason


def _insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


# --- settings --------------------------------------------------------------------------------------------------


def settings_for(session: Session, *, community: Community) -> ModerationSettings:
    """The community's moderation settings, or the defaults (not saved) when it has none yet."""
    found = session.get(ModerationSettings, community.id)
    if found is not None:
        return found
    return ModerationSettings(community_id=id_of(community), auto_hide_threshold=get_settings().auto_hide_threshold)


def blocked_word_list(settings: ModerationSettings) -> list[str]:
    return [line.strip().lower() for line in settings.blocked_words.splitlines() if line.strip()]


def update_settings(
    session: Session,
    *,
    community: Community,
    moderator: User,
    auto_hide_threshold: int,
    premoderation: bool,
    premoderation_posts: int,
    blocked_words: str,
    now: datetime | None = None,
) -> ModerationSettings:
    """Change the auto-hide threshold, pre-moderation and the blocked words; the change is audited."""
    now = now or utcnow()
    errors = {}
    if not 1 <= auto_hide_threshold <= 100:
        errors["auto_hide_threshold"] = "Between 1 and 100 reports."
    if not 1 <= premoderation_posts <= 20:
        errors["premoderation_posts"] = "Between 1 and 20 posts."
    words = [line.strip() for line in blocked_words.splitlines() if line.strip()]
    if len("\n".join(words)) > 5000:
        errors["blocked_words"] = "Keep the list under 5,000 characters."
    if errors:
        raise Invalid("Please correct the marked fields.", fields=errors)
    current = settings_for(session, community=community)
    before = _settings_snapshot(current)
    was_on = current.premoderation
    current.auto_hide_threshold = auto_hide_threshold
    current.premoderation = premoderation
    current.premoderation_posts = premoderation_posts
    current.blocked_words = "\n".join(words)
    if premoderation and not was_on:
        current.premoderation_since = now
    current.updated_at = now
    session.add(current)
    session.flush()
    record(
        session,
        community_id=id_of(community),
        actor=moderator,
        action=AuditAction.update_settings,
        subject_kind="community",
        subject_id=id_of(community),
        before=before,
        after=_settings_snapshot(current),
    )
    return current


def _settings_snapshot(settings: ModerationSettings) -> dict[str, Any]:
    return {
        "auto_hide_threshold": settings.auto_hide_threshold,
        "premoderation": settings.premoderation,
        "premoderation_posts": settings.premoderation_posts,
        "blocked_words": blocked_word_list(settings),
    }


# --- the audit log ---------------------------------------------------------------------------------------------


def record(
    session: Session,
    *,
    community_id: int | None,
    actor: User | None,
    action: AuditAction,
    subject_kind: str = "",
    subject_id: int | None = None,
    target_user_id: int | None = None,
    reason: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Append one entry to the audit log (there is no way to change or remove one)."""
    entry = AuditEntry(
        community_id=community_id,
        actor_id=actor.id if actor is not None else None,
        action=action,
        subject_kind=subject_kind,
        subject_id=subject_id,
        target_user_id=target_user_id,
        reason=reason[:REASON_MAX],
        before=before or {},
        after=after or {},
        created_at=now or utcnow(),
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    actor: str = ""  # a handle
    target: str = ""  # a handle
    since: datetime | None = None
    until: datetime | None = None


def list_audit(
    session: Session, *, community: Community, filters: AuditFilters, limit: int | None = AUDIT_PAGE_SIZE
) -> list[tuple[AuditEntry, User | None, User | None]]:
    """The community's audit log, newest first, with the actor and the member concerned."""
    query = select(AuditEntry).where(AuditEntry.community_id == community.id)
    if filters.action:
        try:
            query = query.where(AuditEntry.action == AuditAction(filters.action))
        except ValueError:
            raise Invalid("There is no such action.", fields={"action": "Choose an action from the list."}) from None
    for handle, column in ((filters.actor, AuditEntry.actor_id), (filters.target, AuditEntry.target_user_id)):
        if handle:
            user_id = session.exec(select(User.id).where(User.handle == handle.strip().lstrip("@").lower())).first()
            query = query.where(column == (user_id or -1))
    if filters.since is not None:
        query = query.where(AuditEntry.created_at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEntry.created_at < filters.until)
    query = query.order_by(col(AuditEntry.id).desc())
    if limit is not None:
        query = query.limit(limit)
    entries = session.exec(query).all()
    people = _users_by_id(session, {i for e in entries for i in (e.actor_id, e.target_user_id) if i is not None})
    return [(entry, people.get(entry.actor_id or 0), people.get(entry.target_user_id or 0)) for entry in entries]


def _users_by_id(session: Session, ids: Iterable[int]) -> dict[int, User]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {id_of(user): user for user in session.exec(select(User).where(col(User.id).in_(wanted))).all()}


_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection): such text is prefixed with a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_CSV_FORMULA_START) else text


def audit_csv(rows: Sequence[tuple[AuditEntry, User | None, User | None]]) -> str:
    """The audit log as CSV, one entry a line, before/after as JSON text."""
    import json

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "at", "actor", "action", "subject", "member", "reason", "before", "after"])
    for entry, actor, target in rows:
        subject = f"{entry.subject_kind}:{entry.subject_id}" if entry.subject_kind else ""
        writer.writerow(
            [
                _csv_cell(value)
                for value in (
                    entry.id,
                    entry.created_at.isoformat(),
                    actor.handle if actor else "",
                    entry.action,
                    subject,
                    target.handle if target else "",
                    entry.reason,
                    json.dumps(entry.before, sort_keys=True),
                    json.dumps(entry.after, sort_keys=True),
                )
            ]
        )
    return buffer.getvalue()


# --- queue items and reports -----------------------------------------------------------------------------------


def _claim_item(
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


@dataclass(frozen=True)
class ReportOutcome:
    report: Report
    item: ModerationItem
    auto_hidden: bool


def report_subject(
    session: Session,
    *,
    community: Community,
    reporter: User,
    kind: SubjectKind | str,
    subject_id: int,
    reason: ReportReason | str,
    note: str = "",
    now: datetime | None = None,
) -> ReportOutcome:
    """A member reports content or a profile: one report per member and item; at the community's threshold of
    distinct reporters the content is hidden until a moderator decides."""
    chosen, note = _clean_report(reason, note)
    kind = subjects.subject_type(kind).kind
    info = subjects.describe_for_members(session, kind=kind, subject_id=subject_id, community_id=id_of(community))
    if info.author_id == reporter.id:
        raise Conflict("You cannot report your own content.")
    return _file_report(
        session,
        community=community,
        reporter=reporter,
        kind=kind,
        subject_id=subject_id,
        reason=chosen,
        note=note,
        now=now or utcnow(),
    )


def _clean_report(reason: ReportReason | str, note: str) -> tuple[ReportReason, str]:
    try:
        chosen = ReportReason(reason)
    except ValueError:
        raise Invalid("Please correct the marked fields.", fields={"reason": "Choose a reason."}) from None
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise Invalid("Please correct the marked fields.", fields={"note": f"Keep it under {NOTE_MAX} characters."})
    return chosen, note


def profile_report_communities(session: Session, *, reporter: User | None, member: User) -> list[Community]:
    """Where someone may report a member's profile: the communities both are members of (never one's own)."""
    if reporter is None or reporter.id == member.id:
        return []
    theirs = select(Membership.community_id).where(Membership.user_id == member.id)
    return list(
        session.exec(
            select(Community)
            .join(Membership, col(Membership.community_id) == Community.id)
            .where(Membership.user_id == reporter.id, col(Community.id).in_(theirs))
            .order_by(col(Community.name), col(Community.id))
        ).all()
    )


@dataclass(frozen=True)
class ResponseForReport:
    """A survey response as the staff member reporting it sees it, and whose moderators would get the report."""

    response: SurveyResponse
    community: Community | None
    excerpt: str


def response_for_report(session: Session, *, survey: Survey, response_id: int) -> ResponseForReport:
    """One of the survey's responses, with the community a report about it goes to (None: no community's)."""
    response = surveys_service.get_response(session, survey=survey, response_id=response_id)
    community = session.get(Community, response.community_id) if response.community_id is not None else None
    excerpt = subjects.contents(session, kind=SubjectKind.survey_response, subject_ids=[response_id])[response_id].text
    return ResponseForReport(response=response, community=community, excerpt=excerpt)


def report_response(
    session: Session,
    *,
    survey: Survey,
    response_id: int,
    reporter: User,
    reason: ReportReason | str,
    note: str = "",
    now: datetime | None = None,
) -> ReportOutcome:
    """The brand's staff, reading a survey's free-text answers, report a response to the moderators of the community
    it was given in; hidden (by them, or by enough reports) it drops out of every result.

    That community is the one the response recorded when it was given (``SurveyResponse.community_id``): for an
    answer through a campaign's share link, the campaign's community rather than any community the survey is also
    published to, since that campaign's moderators look after its connectors and their networks, and a survey's
    publication may move or be withdrawn while a campaign stays in its community; for a member's answer on a
    community's survey page, that community, even after the survey is withdrawn (when its results are read). A
    response the brand's own systems recorded was given in no community: no moderators review it (Conflict).
    """
    chosen, note = _clean_report(reason, note)
    target = response_for_report(session, survey=survey, response_id=response_id)
    if target.community is None:
        raise Conflict("This response came from your own systems, not from a community, so no moderators review it.")
    return _file_report(
        session,
        community=target.community,
        reporter=reporter,
        kind=SubjectKind.survey_response,
        subject_id=response_id,
        reason=chosen,
        note=note,
        now=now or utcnow(),
    )


def _file_report(
    session: Session,
    *,
    community: Community,
    reporter: User,
    kind: SubjectKind,
    subject_id: int,
    reason: ReportReason,
    note: str,
    now: datetime,
) -> ReportOutcome:
    rate_limits.hit(
        get_settings().report_rate_per_account,
        "report",
        str(reporter.id),
        message="You have sent many reports in a short time; wait a while before the next one.",
    )
    item = _claim_item(session, community=community, kind=kind, subject_id=subject_id, flag=ItemFlag.reported, now=now)
    report = Report(item_id=id_of(item), reporter_id=id_of(reporter), reason=reason, note=note, created_at=now)
    try:
        with session.begin_nested():
            session.add(report)
            session.flush()
    except IntegrityError:
        raise Conflict("You have reported this already; the moderators will look at it.") from None
    # Counted in the database, so reports arriving together are all counted, and one of them crosses the threshold.
    count = session.execute(
        update(ModerationItem)
        .where(col(ModerationItem.id) == item.id)
        .values(
            report_count=ModerationItem.report_count + 1,
            updated_at=now,
            # A report after a moderator restored the item puts it back in front of them (still shown).
            status=func.coalesce(func.nullif(ModerationItem.status, ItemStatus.restored.value), ItemStatus.open.value),
        )
        .returning(col(ModerationItem.report_count))
        .execution_options(synchronize_session=False)
    ).scalar_one()
    session.refresh(item)
    threshold = settings_for(session, community=community).auto_hide_threshold
    auto_hidden = False
    if count >= threshold and item.decided_at is None:
        auto_hidden = _hold(
            session,
            community=community,
            item=item,
            action=AuditAction.auto_hide,
            now=now,
            reason=f"Hidden automatically after {count} reports, until a moderator decides.",
        )
    return ReportOutcome(report=report, item=item, auto_hidden=auto_hidden)


def _hold(
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
    if action == AuditAction.hold:
        text = f"Your {kind.label} is waiting for review: {reason}"
    else:
        text = f"Your {kind.label} is hidden until a moderator decides: {reason}"
    _tell_author(session, community=community, item=item, entry=entry, text=text)
    return True


def _tell_author(session: Session, *, community: Community, item: ModerationItem, entry: AuditEntry, text: str) -> None:
    author = session.get(User, item.author_id) if item.author_id is not None else None
    if author is not None:
        notifications_service.notify(
            session,
            user=author,
            kind=NotificationKind.moderation_decision,
            text=text,
            link=decision_link(community, id_of(entry)),
        )


# --- screening new posts ---------------------------------------------------------------------------------------


def _contains_blocked_word(text: str, words: Sequence[str]) -> str | None:
    for word in words:
        if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, flags=re.IGNORECASE):
            return word
    return None


def _awaits_premoderation(
    session: Session, *, community: Community, author: User, settings: ModerationSettings
) -> bool:
    """A member who joined since pre-moderation was switched on and has made fewer posts than it holds.

    As Discourse's ``approve_post_count``, it counts the posts made, not those approved: with 1, a new member's first
    post waits and the ones after it are published at once, even while the first still waits. Posts held for a
    blocked word waited too, so they count among the first ones."""
    if not settings.premoderation:
        return False
    membership = session.exec(
        select(Membership).where(Membership.community_id == community.id, Membership.user_id == author.id)
    ).first()
    if membership is None or membership.role == MemberRole.moderator:
        return False
    if settings.premoderation_since is not None and membership.joined_at < settings.premoderation_since:
        return False
    waited = session.exec(
        select(func.count())
        .select_from(ModerationItem)
        .where(
            ModerationItem.community_id == community.id,
            ModerationItem.author_id == author.id,
            col(ModerationItem.flag).in_((ItemFlag.premoderation, ItemFlag.blocked_word)),
            col(ModerationItem.subject_kind) != SubjectKind.profile,
        )
    ).one()
    return waited < settings.premoderation_posts


def screen_post(
    session: Session,
    *,
    community: Community,
    author: User,
    kind: SubjectKind,
    subject_id: int,
    text: str,
    now: datetime | None = None,
) -> bool:
    """Called by a domain right after a member posts: holds the post for review when it contains a blocked word or
    the author's first posts await approval (pre-moderation). True when held (the post is hidden meanwhile).

    Blocked words hold the post rather than refuse it: a refusal teaches a spammer which word to misspell, and a
    false match (a word inside a legitimate phrase) costs an honest member only a short wait.
    """
    now = now or utcnow()
    settings = settings_for(session, community=community)
    word = _contains_blocked_word(text, blocked_word_list(settings))
    # One neutral reason for both holds: a blocked word's author must not learn that a word held the post.
    reason = HELD_FOR_REVIEW
    if word is not None:
        flag = ItemFlag.blocked_word
    elif _awaits_premoderation(session, community=community, author=author, settings=settings):
        flag = ItemFlag.premoderation
    else:
        return False
    item = _claim_item(session, community=community, kind=kind, subject_id=subject_id, flag=flag, now=now)
    return _hold(session, community=community, item=item, action=AuditAction.hold, reason=reason, now=now)


def flag_near_duplicate(session: Session, *, community: Community, design_id: int, now: datetime | None = None) -> None:
    """Put a design the image pipeline found to be a near-duplicate in the queue (shown meanwhile)."""
    _claim_item(
        session,
        community=community,
        kind=SubjectKind.design,
        subject_id=design_id,
        flag=ItemFlag.near_duplicate,
        now=now or utcnow(),
    )


# --- the queue -------------------------------------------------------------------------------------------------


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


def is_blocking(sanction: Sanction, now: datetime) -> bool:
    return (
        sanction.kind != SanctionKind.warning
        and sanction.lifted_at is None
        and (sanction.ends_at is None or sanction.ends_at > now)
    )


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
        raise Invalid("Choose the filters from their lists.") from None
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
    authors = _users_by_id(session, author_ids)
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
        raise NotFound("There is no such item in this community's queue.")
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


# --- decisions -------------------------------------------------------------------------------------------------


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
            "Choose a decision first.", fields={"decision": "Choose a decision: hide, dismiss (keep) or remove."}
        ) from None
    reason = _clean_reason(reason, required=decision != Decision.restore)
    unique_ids = list(dict.fromkeys(item_ids))
    if not unique_ids:
        raise Invalid("Select at least one item.", fields={"item_ids": "Select at least one item."})
    items = session.exec(
        select(ModerationItem)
        .where(col(ModerationItem.id).in_(unique_ids), ModerationItem.community_id == community.id)
        .with_for_update()
    ).all()
    if len(items) != len(unique_ids):
        raise NotFound("There is no such item in this community's queue.")
    for item in items:
        if decision != Decision.restore and subjects.subject_type(item.subject_kind).hide is None:
            raise Invalid(
                f"A {item.subject_kind} cannot be hidden or removed: warn, suspend or ban its owner instead.",
                fields={"decision": "Not possible for a profile."},
            )
    return [
        _apply(session, community=community, moderator=moderator, item=item, decision=decision, reason=reason, now=now)
        for item in items
    ]


def _apply(
    session: Session,
    *,
    community: Community,
    moderator: User,
    item: ModerationItem,
    decision: Decision,
    reason: str,
    now: datetime,
) -> AuditEntry:
    kind = subjects.subject_type(item.subject_kind)
    before = item.status
    after = _DECISION_STATUS[decision]
    if after in _SHOWN and before not in _SHOWN and kind.restore is not None:
        kind.restore(session, item.subject_id)
    elif after not in _SHOWN and before in _SHOWN and kind.hide is not None:
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
        if before not in _SHOWN and _first_showing(session, item=item, entry=entry):
            _tell_author(
                session,
                community=community,
                item=item,
                entry=entry,
                text=f"Your {kind.label} is approved and published.",
            )
            if kind.announce is not None:  # nobody was told of it while it waited
                kind.announce(session, item.subject_id)
        elif before == ItemStatus.held:
            _tell_author(
                session, community=community, item=item, entry=entry, text=f"Your {kind.label} is shown again."
            )
        outcome = "The moderators reviewed it and left it up."
    else:
        verb = "hidden" if decision == Decision.hide else "removed"
        _tell_author(
            session,
            community=community,
            item=item,
            entry=entry,
            text=f"Your {kind.label} was {verb} by a moderator: {reason}. You may appeal once.",
        )
        outcome = f"The moderators {'hid' if decision == Decision.hide else 'removed'} it. Thank you for reporting."
    _tell_reporters(session, community=community, moderator=moderator, item=item, label=kind.label, outcome=outcome)
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


def _tell_reporters(
    session: Session, *, community: Community, moderator: User, item: ModerationItem, label: str, outcome: str
) -> None:
    for reporter in session.exec(
        select(User).join(Report, col(Report.reporter_id) == User.id).where(Report.item_id == item.id)
    ).all():
        notifications_service.notify(
            session,
            user=reporter,
            kind=NotificationKind.report_outcome,
            text=f"Your report of a {label} in {community.name}: {outcome}",
            link=f"/c/{community.slug}",
            actor=moderator,
        )


# --- sanctions -------------------------------------------------------------------------------------------------


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
        raise Invalid("Sanction a reported profile's owner from its item; other items are hidden or removed instead.")
    try:
        kind = SanctionKind(kind)
    except ValueError:
        raise Invalid(
            "Please correct the marked fields.", fields={"kind": "Choose a warning, suspension or ban."}
        ) from None
    reason = _clean_reason(reason)
    if member.id == moderator.id:
        raise Conflict("You cannot sanction yourself.")
    membership = session.exec(
        select(Membership).where(Membership.community_id == community.id, Membership.user_id == member.id)
    ).first()
    if membership is None:
        raise NotFound("This person is not a member of the community.")
    ends_at = None
    if kind == SanctionKind.suspension:
        if days is None or not 1 <= days <= MAX_SUSPENSION_DAYS:
            raise Invalid(
                "Please correct the marked fields.",
                fields={"days": f"A suspension lasts 1 to {MAX_SUSPENSION_DAYS} days."},
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
    what = {
        SanctionKind.warning: "You have a warning",
        SanctionKind.suspension: f"You are suspended until {ends_at:%Y-%m-%d %H:%M} UTC" if ends_at else "",
        SanctionKind.ban: "You are banned",
    }[kind]
    notifications_service.notify(
        session,
        user=member,
        kind=NotificationKind.sanction,
        text=f"{what} in {community.name}: {reason}. You may appeal once.",
        link=decision_link(community, id_of(entry)),
    )
    if item is not None:
        item.status = ItemStatus.restored
        item.decided_at = now
        item.updated_at = now
        session.add(item)
        session.flush()
        _tell_reporters(
            session,
            community=community,
            moderator=moderator,
            item=item,
            label=subjects.subject_type(item.subject_kind).label,
            outcome=f"The moderators {SANCTION_VERB[kind]} its owner. Thank you for reporting.",
        )
    return sanction


def get_sanction(session: Session, *, community: Community, sanction_id: int) -> Sanction:
    sanction = session.get(Sanction, sanction_id)
    if sanction is None or sanction.community_id != community.id:
        raise NotFound("There is no such sanction in this community.")
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
    reason = _clean_reason(reason)
    if sanction.community_id != community.id:
        raise NotFound("There is no such sanction in this community.")
    if sanction.lifted_at is not None:
        raise Conflict("This sanction is lifted already.")
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
        notifications_service.notify(
            session,
            user=member,
            kind=NotificationKind.sanction,
            text=f"Your {sanction.kind} in {community.name} is lifted: {reason}",
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


# --- site-wide bans ------------------------------------------------------------------------------------------


def ban_site_wide(session: Session, *, admin: User, user: User, reason: str, now: datetime | None = None) -> User:
    """A site admin bans someone from all of Chorus: the account is deactivated (no login, no API token works) and
    its sessions and tokens are revoked; its content stays. Audited, outside any community."""
    now = now or utcnow()
    reason = _clean_reason(reason)
    if user.id == admin.id:
        raise Conflict("You cannot ban yourself.")
    if not user.is_active:
        raise Conflict(f"@{user.handle} is deactivated already.")
    user.is_active = False
    session.add(user)
    accounts_service.end_all_sessions(session, user=user)
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
    people = _users_by_id(session, {i for e in entries for i in (e.actor_id, e.target_user_id) if i is not None})
    return [(e, people.get(e.actor_id or 0), people.get(e.target_user_id or 0)) for e in entries]


# --- appeals ---------------------------------------------------------------------------------------------------


def get_decision(session: Session, *, community: Community, entry_id: int, viewer: User) -> AuditEntry:
    """A decision about the viewer in this community (someone else's answers 404)."""
    entry = session.get(AuditEntry, entry_id)
    if entry is None or entry.community_id != community.id or entry.target_user_id != viewer.id:
        raise NotFound("There is no such decision about you.")
    return entry


def appeal_for(session: Session, *, entry: AuditEntry) -> Appeal | None:
    return session.exec(select(Appeal).where(Appeal.audit_entry_id == entry.id)).first()


def file_appeal(
    session: Session, *, community: Community, appellant: User, entry_id: int, body: str, now: datetime | None = None
) -> Appeal:
    """Appeal a decision about oneself, once; the community's other moderators and the brand's managers decide."""
    entry = get_decision(session, community=community, entry_id=entry_id, viewer=appellant)
    if entry.action not in APPEALABLE:
        raise Conflict("This decision cannot be appealed.")
    body = body.strip()
    if not body:
        raise Invalid("Please correct the marked fields.", fields={"body": "Say why the decision should change."})
    if len(body) > APPEAL_MAX:
        raise Invalid("Please correct the marked fields.", fields={"body": f"Keep it under {APPEAL_MAX} characters."})
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
        raise Conflict("You have appealed this decision already; each decision may be appealed once.") from None
    moderators = session.exec(
        select(User)
        .join(Membership, col(Membership.user_id) == User.id)
        .where(Membership.community_id == community.id, Membership.role == MemberRole.moderator)
    ).all()
    for moderator in moderators:
        if moderator.id != entry.actor_id:  # another moderator decides it
            notifications_service.notify(
                session,
                user=moderator,
                kind=NotificationKind.appeal_filed,
                text=f"@{appellant.handle} appeals a {entry.action.replace('_', ' ')} in {community.name}.",
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
        raise NotFound("There is no such appeal in this community.")
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
    reason = _clean_reason(reason)
    entry = session.get(AuditEntry, appeal.audit_entry_id)
    assert entry is not None
    if appeal.community_id != community.id:
        raise NotFound("There is no such appeal in this community.")
    if entry.actor_id is not None and entry.actor_id == decider.id:
        raise Forbidden("A different moderator, or the brand's staff, must decide an appeal against your decision.")
    if decider.id == appeal.appellant_id:
        raise Forbidden("You cannot decide your own appeal.")
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
        raise Conflict("This appeal is decided already.")
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
        outcome = "granted: the decision is reversed" if grant else "rejected: the decision stands"
        notifications_service.notify(
            session,
            user=appellant,
            kind=NotificationKind.appeal_decided,
            text=f"Your appeal in {community.name} was {outcome}. {reason}",
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
                reason=f"Appeal granted: {reason}",
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
    if item is not None and item.status not in _SHOWN:
        _apply(
            session,
            community=community,
            moderator=decider,
            item=item,
            decision=Decision.restore,
            reason=f"Appeal granted: {reason}",
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


def users_by_id(session: Session, ids: Iterable[int]) -> dict[int, User]:
    """People by id, in one query (for pages listing entries)."""
    return _users_by_id(session, ids)
